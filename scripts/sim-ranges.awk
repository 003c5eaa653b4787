# sim-ranges.awk: smve-sim --ai options that keep a station's analog values plausible, derived from
# its nguru sheets.  Usage: awk -v comaster=ID -f sim-ranges.awk ied.csv ai.csv
# For every ai.csv row with a valuemax: the value walks within the middle 70 % of the band
# valuemin (or 0) .. valuemax, converted to raw counts with the row's escala and placed by its
# offset (1-based in the concentrator's AI array) in the IED that holds it (ied.csv, can_ais bytes,
# in offset order).  Rows without valuemax keep the simulator's default model.
function split_csv(line, out,    n, i, c, q, f) {
	n = 0; f = ""; q = 0
	sub(/\r$/, "", line)
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (q) {
			if (c == "\"" && substr(line, i + 1, 1) == "\"") { f = f "\""; i++ }
			else if (c == "\"") q = 0
			else f = f c
		} else if (c == "\"") q = 1
		else if (c == ",") { out[++n] = f; f = "" }
		else f = f c
	}
	out[++n] = f
	return n
}
function header(n, f, col,    i) {
	for (i = 1; i <= n; i++) col[tolower(f[i])] = i
}
FNR == 1 { file++; delete col; n = split_csv($0, f); header(n, f, col); next }
file == 1 {
	split_csv($0, f)
	if (f[col["comaster_id"]] != comaster) next
	nied++; ioff[nied] = f[col["offset"]] + 0; iaddr[nied] = f[col["rs485_address"]] + 0
	iwords[nied] = int(f[col["can_ais"]] / 2)
	next
}
file == 2 {
	if (!based) {
		# IEDs in offset order (insertion sort: a handful of rows), then each one's first AI word.
		for (i = 2; i <= nied; i++)
			for (j = i; j > 1 && ioff[j] < ioff[j - 1]; j--) {
				t = ioff[j]; ioff[j] = ioff[j - 1]; ioff[j - 1] = t
				t = iaddr[j]; iaddr[j] = iaddr[j - 1]; iaddr[j - 1] = t
				t = iwords[j]; iwords[j] = iwords[j - 1]; iwords[j - 1] = t
			}
		b = 0
		for (i = 1; i <= nied; i++) { ibase[i] = b; b += iwords[i] }
		based = 1
	}
	split_csv($0, f)
	vmax = f[col["valuemax"]]; vmin = f[col["valuemin"]]; esc = f[col["escala"]] + 0
	if (vmax == "" || esc <= 0) next
	lo = vmin == "" ? 0 : vmin + 0
	band = vmax - lo
	idx = f[col["offset"]] - 1
	for (i = 1; i <= nied; i++) {
		if (idx < ibase[i] || idx >= ibase[i] + iwords[i]) continue
		rlo = int((lo + 0.15 * band) / esc + 0.5); rhi = int((vmax - 0.15 * band) / esc + 0.5)
		if (rhi > 4095) rhi = 4095
		printf "--ai %d:%d:%d-%d\n", iaddr[i], idx - ibase[i], rlo, rhi
	}
}
