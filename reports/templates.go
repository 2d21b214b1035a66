package reports

// pageTemplates holds both HTML pages and the SVG drawing they share. Every
// value reaches the page through html/template, which escapes it for the
// context it lands in (text, attribute, tooltip).
const pageTemplates = `
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#222}
h1{font-size:21px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 6px}
.badge{display:inline-block;padding:1px 9px;border-radius:4px;color:#fff;font-size:14px;vertical-align:2px}
.badge.pass{background:#2e7d32} .badge.fail{background:#c62828}
.meta{color:#555;margin:2px 0 12px} .warn{background:#fff3cd;border-left:4px solid #e0a800;padding:6px 10px}
table{border-collapse:collapse;margin:6px 0 12px} th,td{padding:3px 10px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
th{font-weight:600;white-space:nowrap} td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fdecea} .ok{color:#2e7d32} .no{color:#c62828;font-weight:600}
code{font-size:13px}
figure{margin:18px 0} figcaption{color:#555;font-size:12.5px;max-width:960px}
.chart-box{max-width:100%;overflow-x:auto} svg{display:block} .table-wrap{max-width:100%;overflow-x:auto}
a{color:#1f5fa8} .nav{margin:0 0 6px}
table.suite td{vertical-align:middle} table.suite td.finding{font-size:12.5px;max-width:340px}
td.v-pass{color:#2e7d32;font-weight:600} td.v-expected{color:#8a6500;font-weight:600;background:#fff4d6} td.v-fail{color:#c62828;font-weight:600;background:#fdecea} td.v-void{color:#666;font-weight:600}
td.sparks .spark{margin:0 0 4px}
@media (max-width:900px){table.suite,table.suite tbody{display:block} table.suite tr:first-child{display:none}
table.suite tr.run{display:grid;grid-template-columns:minmax(0,1fr) auto;border-bottom:1px solid #e4e4e4;padding:4px 0}
table.compare th,table.rows th{white-space:normal;overflow-wrap:anywhere} table.rows th,table.rows td{padding:3px 4px;font-size:12px} table.rows code{word-break:break-all}
table.facts th{white-space:normal} table.compare th,table.compare td{padding:3px 5px}
table.suite td{border:0;min-width:0} table.suite td.finding{grid-column:1/-1;max-width:none;overflow-wrap:anywhere} table.suite td.sparks{grid-column:1/-1} td.sparks .spark{display:inline-block;vertical-align:top;margin:0 6px 4px 0}}
.headline{margin:10px 0 4px;padding:8px 12px;border-left:5px solid;border-radius:3px}
.headline.fail{background:#fdecea;border-color:#c62828} .headline.expected{background:#fff4d6;border-color:#d99a00}
.headline.pass{background:#e8f5e9;border-color:#2e7d32} .headline.void{background:#f1f1f1;border-color:#777}
tr.expected td{background:#fff4d6} .amber{color:#8a6500;font-weight:600}
details{margin:0 0 12px} summary{cursor:pointer;color:#555}
@media (max-width:640px){table.verdicts,table.verdicts tbody{display:block} table.verdicts tr{display:grid;grid-template-columns:1fr auto auto auto;border-bottom:1px solid #e4e4e4}
table.verdicts tr:first-child{display:none} table.verdicts td{border:0} table.verdicts td.detail{grid-column:1/-1;padding-top:0} table.verdicts code{word-break:break-all}}
.charts{display:flex;flex-wrap:wrap;gap:12px} .charts figure{min-width:0;max-width:100%}
svg text{font:11px system-ui,-apple-system,"Segoe UI",sans-serif;fill:#333}
svg .title{font-size:13px;font-weight:600;fill:#222} svg .axis-title{fill:#555}
svg .tick{fill:#555} svg .axis{stroke:#444} svg .axis-break{font-weight:700;fill:#444} svg .grid{stroke:#ececec}
svg .window{fill:#edf2f8} svg .fault{fill:#8e6bbf;fill-opacity:.16} svg .fault-label{fill:#5b3a8c}
svg .active{fill:#4e79a7;fill-opacity:.16} svg .tick-mark{fill:#333}
svg .key-label{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:10.5px}
svg .threshold{stroke:#333;stroke-dasharray:5 3} svg .threshold-label{fill:#333}
svg .series{fill:none;stroke-width:1.4} svg .series.bad,svg .series.expected{stroke-width:2}
svg .series.unpolled{stroke:#9e9e9e;stroke-dasharray:3 3} svg .legend-line{stroke-width:2}
svg .live-polled{fill:#4e79a7} svg .live-on{fill:#59a14f} svg .live-off{fill:#d4d4d4} svg .live-null{fill:#f1f1f1;stroke:#d4d4d4;stroke-width:.5}
svg .live-silent{fill:#76b7b2} svg .live-late{fill:#757575} svg .value.bad,svg .value.expected{font-weight:600}
svg .bar{fill:#4e79a7} svg .bar.over{fill:#7b4fa0} svg .bar.err{fill:#9c755f}
svg .tick-mark.bad,svg .null-mark.bad,svg .live-false.bad,svg .value.bad,svg .bar.bad,svg .threshold-label.bad{fill:#d62728}
svg .series.bad,svg .threshold.bad{stroke:#d62728}
svg .tick-mark.expected,svg .null-mark.expected,svg .live-false.expected,svg .bar.expected{fill:#d99a00} svg .value.expected,svg .threshold-label.expected{fill:#8a6500}
svg .series.expected,svg .threshold.expected{stroke:#d99a00}
svg .series.unjudged{stroke:#9e9e9e;stroke-width:2} svg .null-mark.unjudged{fill:#9e9e9e}
svg .latency{fill:none;stroke:#222;stroke-width:1.25;stroke-linejoin:round}
svg .ideal{fill:none;stroke:#222;stroke-width:1.5} svg .empty{fill:#888;font-style:italic} svg .value{fill:#333}
svg .latency.p50{stroke:#8fb1d3;stroke-width:1.25} svg .reqline{fill:none;stroke:#59a14f;stroke-width:1.5} svg .reqtick{fill:#3d7a35}
svg .event{stroke:#333;stroke-dasharray:1 2} svg .event-label{fill:#333;font-size:10px}
svg .envelope{fill:#a0cbe8;fill-opacity:.45;stroke:none}
svg .finding{fill:#d62728;fill-opacity:.10;stroke:#d62728;stroke-dasharray:4 3} svg .finding-label{fill:#b71c1c;font-weight:600}
svg .finding.expected{fill:#d99a00;fill-opacity:.12;stroke:#b8860b} svg .finding-label.expected{fill:#8a6500}
</style>
</head>
{{end}}

{{define "svg"}}<svg xmlns="http://www.w3.org/2000/svg" width="{{px .Width}}" height="{{px .Height}}" viewBox="0 0 {{px .Width}} {{px .Height}}" role="img" aria-label="{{.Title}}">
{{- if .Clips}}<defs>{{range .Clips}}<clipPath id="{{.ID}}"><rect x="{{px .X}}" y="{{px .Y}}" width="{{px .W}}" height="{{px .H}}"/></clipPath>{{end}}</defs>{{end}}
<text x="{{px .Left}}" y="14" class="title">{{.Title}}</text>
{{if .Lower}}<g transform="translate(0 {{px .Lower}})">
{{end}}{{range .Els}}{{template "el" .}}
{{end}}{{if .Lower}}</g>
{{end}}{{range .Above}}{{template "el" .}}
{{end}}</svg>{{end}}

{{define "el"}}
{{- if eq .Kind "rect"}}<rect x="{{px .X}}" y="{{px .Y}}" width="{{px .W}}" height="{{px .H}}"{{if .Class}} class="{{.Class}}"{{end}}{{if .Color}} fill="{{.Color}}"{{end}}>{{if .Tip}}<title>{{.Tip}}</title>{{end}}</rect>
{{- else if eq .Kind "line"}}<line x1="{{px .X}}" y1="{{px .Y}}" x2="{{px .X2}}" y2="{{px .Y2}}"{{if .Class}} class="{{.Class}}"{{end}}{{if .Color}} stroke="{{.Color}}"{{end}}/>
{{- else if eq .Kind "polyline"}}<polyline points="{{.Points}}" fill="none"{{if .Class}} class="{{.Class}}"{{end}}{{if .Color}} stroke="{{.Color}}"{{end}}{{if .Clip}} clip-path="url(#{{.Clip}})"{{end}}/>
{{- else if eq .Kind "polygon"}}<polygon points="{{.Points}}"{{if .Class}} class="{{.Class}}"{{end}}/>
{{- else if eq .Kind "text"}}<text x="{{px .X}}" y="{{px .Y}}"{{if .Anchor}} text-anchor="{{.Anchor}}"{{end}}{{if .Class}} class="{{.Class}}"{{end}}>{{if .Tip}}<title>{{.Tip}}</title>{{end}}{{.Text}}</text>
{{- end}}
{{- end}}

{{define "verdicts"}}<div class="table-wrap"><table class="verdicts">
<tr><th>invariant</th><th>outcome</th><th>expected</th><th></th><th>detail</th></tr>
{{range .}}<tr{{if not .Passed}} class="bad"{{else if expectedFail .}} class="expected"{{end}}><td><code>{{.Name}}</code></td><td{{if expectedFail .}} class="amber"{{end}}>{{.Outcome}}</td><td>{{.Expected}}</td><td class="{{if .Passed}}ok{{else}}no{{end}}" title="{{if .Passed}}matched the expectation{{else}}did not match the expectation{{end}}">{{mark .}}</td><td class="detail">{{.Detail}}</td></tr>
{{end}}</table></div>
<p class="meta">✓ the outcome matched the scenario's expectation · ✗ it did not. Red rows: verdicts that did not match. Amber rows: failures the scenario expects of a known-bad setup, shown to be bad as declared; they pass.</p>{{end}}

{{define "run"}}{{template "head" (printf "hbharness · %s · %s · %s" .S.Scenario .S.RunName .Verdict)}}
<body>
{{if or .Links.Up.Href .Links.Files}}<p class="meta nav">{{with .Links.Up}}{{if .Href}}<a href="{{.Href}}">← {{.Text}}</a>{{if $.Links.Files}} · {{end}}{{end}}{{end}}{{if .Links.Files}}files: {{range $i, $f := .Links.Files}}{{if $i}} · {{end}}<a href="{{$f.Href}}">{{$f.Text}}</a>{{end}}{{end}}</p>
{{end}}<h1>{{.S.Scenario}} · {{.S.RunName}} <span class="badge {{if .S.Passed}}pass{{else}}fail{{end}}">{{.Verdict}}</span></h1>
<p class="meta">time scale {{num .S.TimeScale 4}} · model {{dur .S.ModelDurationS}}
{{- if not .S.StartedAt.IsZero}} · started {{.S.StartedAt.Format "2006-01-02 15:04:05 MST"}}{{end}} · wall {{num .S.WallDurationS 1}} s
· target {{target .S}} · failure policy {{orDash .S.FailurePolicy}} · replicas {{.S.Replicas}} · clock tolerance {{num .S.ClockToleranceMS 1}} ms</p>
{{if .S.Interrupted}}<p class="warn">The run was interrupted: its verdicts judge only the first {{dur .S.ModelDurationS}} of model time.</p>{{end}}
{{if .S.LoadGenerator.Saturated}}<p class="warn">The load generator was saturated: the target got less load than the scenario asked for.</p>{{end}}

<p class="headline {{.Headline.Class}}" id="headline"><strong>{{.Headline.Lead}}</strong>{{if .Headline.Rest}} · {{.Headline.Rest}}{{end}}</p>

<h2>Verdicts</h2>
{{template "verdicts" .S.Invariants}}

<h2>Run</h2>
<table class="facts">
{{range .Facts}}<tr{{if .Class}} class="{{.Class}}"{{end}}><th>{{.Label}}</th><td>{{.Text}}</td></tr>
{{end}}</table>
<p class="meta">Staleness and ages are model seconds; a fault's worst staleness runs until it was got over, and its recovery is from its end until every polled service read fresh and live again.</p>

{{range .Charts}}<figure><div class="chart-box">{{template "svg" .}}</div><figcaption>{{.Caption}}</figcaption></figure>
{{end}}
{{if .Keys}}<h2>Keys</h2>
<p class="meta">Worst first: furthest outside the expected dispatch count, then the closest two dispatches. The expected range is the one dispatch_rate_near_expected judged.</p>
{{template "keys" (rows .Keys .KeyTint)}}
{{if .FoldedKeys}}<details><summary>{{len .FoldedKeys}} more keys</summary>
{{template "keys" (rows .FoldedKeys .KeyTint)}}</details>{{end}}
{{if .MoreKeys}}<p class="meta">(+{{.MoreKeys}} more in summary.json)</p>{{end}}{{end}}
{{if .Services}}<h2>Services</h2>
<p class="meta">Worst first: rows that show a failed verdict, then the longest read live while silent, then the stalest. Max staleness is over the samples last_seen_never_stale judged (while polled); read live while silent is what no_false_liveness judges; a stopped service's time to offline runs from its last poll, against its bound.</p>
{{template "services" (rows .Services "")}}
{{if .FoldedServices}}<details><summary>{{len .FoldedServices}} more services</summary>
{{template "services" (rows .FoldedServices "")}}</details>{{end}}
{{if .MoreServices}}<p class="meta">(+{{.MoreServices}} more in summary.json)</p>{{end}}{{end}}
</body>
</html>
{{end}}

{{define "keys"}}<div class="table-wrap"><table class="rows">
<tr><th>key</th><th>dispatches</th><th>expected</th><th>min gap</th><th>db writes</th></tr>
{{$tint := .Tint}}{{range .Rows}}<tr{{if outside .}} class="{{$tint}}"{{end}}><td><code>{{.Key}}</code></td><td class="n">{{.Dispatches}}</td><td class="n">{{range2 .}}</td><td class="n">{{minGap .}}</td><td class="n">{{.DBWrites}}</td></tr>
{{end}}</table></div>{{end}}

{{define "services"}}<div class="table-wrap"><table class="rows">
<tr><th>service</th><th>max staleness</th><th>offline flips</th><th>read live while silent</th><th>stopped: read offline after</th></tr>
{{range .Rows}}<tr{{if .Class}} class="{{.Class}}"{{end}}><td class="n">{{.ID}}</td><td class="n">{{num .MaxStalenessS 2}} s</td><td class="n">{{.OfflineFlips}}</td><td class="n">{{num .FalseLiveS 1}} s</td><td class="n">{{.Offline}}</td></tr>
{{end}}</table></div>{{end}}

`
