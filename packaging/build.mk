# Installation of packaging files (udev rules, systemd units, ...); filled in by their owners.
