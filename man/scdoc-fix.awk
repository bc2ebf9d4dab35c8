# man/scdoc-fix.awk — scdoc's output made quiet under `mandoc -T lint`: a paragraph macro that
# scdoc writes before the end of an indented block (.P .RE) is moved after it, and one where no
# paragraph begins (after .TH/.SH/.SS/.P, before .SH/.SS/.P or at the end) is dropped ("skipping
# paragraph macro"). scdoc's .nh (no hyphenation) is repeated after .TH, which groff's man
# macros let undo it. The text is unchanged. Run by the Makefile's man rule.
function para(l) { return l == ".P" || l == ".PP" }
function head(l) { return l ~ /^\.(TH|SH|SS) / || para(l) }
function ends(l) { return l ~ /^\.(SH|SS)( |$)/ || para(l) }
{ line[++n] = $0 }
END {
	for (i = 1; i < n; i++) # .P .RE -> .RE .P, as often as it takes
		if (para(line[i]) && line[i + 1] ~ /^\.RE( |$)/) {
			t = line[i]; line[i] = line[i + 1]; line[i + 1] = t
			if (i > 1) i -= 2
		}
	prev = ""
	for (i = 1; i <= n; i++) {
		l = line[i]
		if (para(l)) {
			for (j = i + 1; j <= n && line[j] == ""; j++)
				;
			if (head(prev) || j > n || ends(line[j]))
				continue
		}
		print l
		if (l ~ /^\.TH /)
			print ".nh"
		if (l != "")
			prev = l
	}
}
