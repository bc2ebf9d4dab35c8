/*
 * web_assets.c — the web page's stylesheet and script, served as
 * /static/app.css and /static/app.js: plain C strings, so the build needs
 * nothing but the compiler. The script only polls the live part of a page
 * (web_page.c's <div id="live" data-poll>) and keeps a log view scrolled to its
 * end; pages work without it.
 */
#include "web_int.h"

const char web_assets_css[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\n"
    "header{background:#1d2330;padding:.6em 1.2em}\n"
    "nav a,nav b{color:#e8ebf0;margin-right:1.2em;text-decoration:none}\n"
    "nav a.here{border-bottom:2px solid #7fb2ff}\n"
    "nav .role{float:right;color:#9aa3b2}\n"
    "main{padding:1em 1.2em}\n"
    "h1{font-size:1.4em;margin:.2em 0 .6em}\n"
    "h2{font-size:1.1em;margin:1.2em 0 .4em}\n"
    "table{border-collapse:collapse;background:#fff;width:100%}\n"
    "th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #e3e6eb;vertical-align:top}\n"
    "th{background:#eceff3;font-weight:600}\n"
    "td.name{font-weight:600}\n"
    "a{color:#1f5fbf}\n"
    "a.id{font-family:ui-monospace,monospace}\n"
    ".state{padding:.1em .45em;border-radius:3px;background:#e3e6eb;font-size:.9em;white-space:nowrap}\n"
    ".s-RUNNING,.s-success,.s-running{background:#d4f2dc;color:#12602b}\n"
    ".s-STARTING,.s-planned,.s-ready,.s-pending{background:#fff1c9;color:#7a5a00}\n"
    ".s-BACKOFF,.s-FATAL,.s-EXITED,.s-error,.s-paused,.s-cancelled{background:#fbd9d7;color:#8f1d16}\n"
    ".s-warning,.s-suspended,.s-skipped{background:#ffe4c2;color:#874300}\n"
    "form.act{display:inline;margin:0 .2em 0 0}\n"
    "button{font:inherit;padding:.15em .7em;border:1px solid #aab2bf;border-radius:3px;background:#fff;cursor:pointer}\n"
    "button.b-stop,button.b-cancel{border-color:#d18b86}\n"
    "div.actions{margin:.6em 0}\n"
    "pre{background:#fff;border:1px solid #e3e6eb;padding:.6em;overflow:auto;max-height:32em;white-space:pre-wrap}\n"
    "pre.log{background:#14171d;color:#dfe3ea;max-height:40em}\n"
    "pre.error{background:#fdecea;border-color:#f1b0aa;color:#8f1d16}\n"
    "pre.ok{background:#e9f7ee;border-color:#a9dcb9;color:#12602b}\n"
    "dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;margin:0}\n"
    "dl.summary dt{color:#5b6577}\n"
    "dl.summary dd{margin:0}\n"
    "progress{width:16em}\n"
    "div.err{border-left:3px solid #d9534f;padding-left:.8em;margin:.6em 0}\n"
    "form.search input{font:inherit;padding:.2em .4em}\n"
    ".hint{color:#5b6577;font-size:.9em}\n";

const char web_assets_js[] =
    "/* taskvisord's web page: poll the live part of the page (no inline handlers: the CSP forbids them) */\n"
    "(function () {\n"
    "  'use strict';\n"
    "  var live = document.getElementById('live');\n"
    "  function scroll() {\n"
    "    var log = document.getElementById('log');\n"
    "    if (log) log.scrollTop = log.scrollHeight;\n"
    "  }\n"
    "  scroll();\n"
    "  if (!live || !live.dataset.poll) return;\n"
    "  var busy = false, every = parseInt(live.dataset.every, 10) || 2000;\n"
    "  var timer = setInterval(function () {\n"
    "    if (live.querySelector('[data-done]')) { clearInterval(timer); return; }\n"
    "    if (busy || document.hidden) return;\n"
    "    busy = true;\n"
    "    fetch(live.dataset.poll, {credentials: 'same-origin', cache: 'no-store'})\n"
    "      .then(function (r) { return r.ok ? r.text() : null; })\n"
    "      .then(function (html) { if (html !== null) { live.innerHTML = html; scroll(); } })\n"
    "      .catch(function () {})\n"
    "      .then(function () { busy = false; });\n"
    "  }, every);\n"
    "})();\n";
