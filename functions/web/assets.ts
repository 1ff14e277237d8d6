import { entityTag } from './etag.ts';

/**
 * The dashboard's only assets, served by the function itself so that the CSP can stay at
 * 'self' and nothing is fetched from elsewhere. The script only drives the upload forms
 * (a presigned POST cannot be made without it); every page works without it.
 */
const APP_CSS = `:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--accent:#0b5cad;
--out-bg:#ffe3e3;--out-fg:#8a1111;--low-bg:#fff4cc;--low-fg:#6b4a00;--in-bg:#dcf5e3;--in-fg:#12582a}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--accent:#58a6ff;
--out-bg:#4a1416;--out-fg:#ffc1c1;--low-bg:#3d2e00;--low-fg:#ffe08a;--in-bg:#0f3320;--in-fg:#a6f0bf}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem}
header.site{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
.brand{margin:0;font-weight:700}.brand a{text-decoration:none;color:inherit}
.session{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0}.session p,.session form{margin:0}
nav ul{list-style:none;display:flex;gap:1rem;margin:0;padding:0}
nav a[aria-current]{font-weight:700;text-decoration:none}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
.name,code{overflow-wrap:anywhere}
th[scope=row],td.source{overflow-wrap:break-word;min-width:8rem;max-width:20rem}
.table-wrap{overflow-x:auto;margin:0 0 1.5rem}
table{border-collapse:collapse;width:100%;min-width:36rem}
caption{text-align:left;color:var(--muted);padding:.25rem 0}
th,td{padding:.5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
thead th{white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums}
tfoot th,tfoot td{font-weight:700}
tr.status-out,tr.has-out td:nth-child(4){background:var(--out-bg)}
tr.status-out th,tr.status-out td{color:var(--out-fg)}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;font-size:.875rem;white-space:nowrap}
.badge-out{background:var(--out-bg);color:var(--out-fg);font-weight:700}
.badge-low{background:var(--low-bg);color:var(--low-fg)}
.badge-in{background:var(--in-bg);color:var(--in-fg)}
td.thumb{width:72px}td.thumb img{display:block;object-fit:cover;border-radius:4px}
.muted{color:var(--muted)}
.filters,.upload{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin:0 0 1rem}
.field{display:flex;flex-direction:column;gap:.25rem;max-width:100%}
input{max-width:100%}
label{font-weight:600}
input,select,button{font:inherit;padding:.4rem .6rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.upload{border:1px solid var(--line);border-radius:6px;padding:1rem}
.upload h3{flex-basis:100%;margin:0;font-size:1.1rem}
.upload-status{flex-basis:100%;margin:0}
.notice{background:var(--in-bg);color:var(--in-fg);padding:.75rem;border-radius:6px}
.pager{display:flex;gap:1rem;align-items:center;margin:0 0 1.5rem}
.report{border-top:1px solid var(--line);padding-top:.5rem;margin-bottom:1.5rem}
.report h2{font-size:1.2rem;overflow-wrap:anywhere}
.facts{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:0 0 1rem}
.facts dt{font-size:.875rem;color:var(--muted)}.facts dd{margin:0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.badge .icon{font-size:.75em}
tr.has-out td.out-count::before{content:"● " / "";color:var(--out-fg)}
@media (max-width:40rem){main{padding:.5rem}h1{font-size:1.3rem}}
.site-search{display:flex;gap:.25rem;align-items:center;margin:0}.site-search input{width:12rem}
.attention{margin:0 0 1.5rem}.attention h2,.running-imports h2{font-size:1.25rem;margin:.5rem 0}
.attention-totals{font-weight:600}.all-clear{color:var(--in-fg)}
td.trend{width:112px}td.trend svg{display:block;width:100px;height:24px}
.running{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;margin:0 0 1rem}
.running h3{font-size:1.05rem;margin:.25rem 0;overflow-wrap:anywhere}
.running progress{width:100%;height:1rem}
.progress-facts{margin:.25rem 0}
.item-head{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.item-photo{border-radius:6px;object-fit:cover}
.item-count{font-size:1.5rem;font-weight:700}
.chart{margin:0 0 1.5rem}
.chart svg{display:block;height:auto}
.chart figcaption{color:var(--muted);font-size:.875rem}
.chart-line{stroke:var(--accent)}
.chart-low{color:var(--low-fg)}
.chart-out{fill:var(--out-fg);stroke:var(--bg);stroke-width:1.5}
.sparkline{display:block;color:var(--accent)}
.chart-narrow{display:none}
@media (max-width:37.5rem){.chart-wide{display:none}.chart-narrow{display:block}}
/* Under 600 px a table is a list of cards: the same HTML (so the row and column headers stay
   for screen readers), each cell labelled by its column's name, which the CSS repeats (the
   alt text "" keeps screen readers from reading it twice). */
@media (max-width:37.5rem){
.table-wrap{overflow-x:visible}
table.cards,table.cards caption,table.cards tbody,table.cards tfoot,table.cards tr,table.cards th,table.cards td{display:block}
table.cards{min-width:0}
table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.cards tr{border:1px solid var(--line);border-radius:6px;margin:0 0 .75rem;padding:.5rem .75rem}
table.cards tr::after{content:"";display:block;clear:both}
table.cards th,table.cards td{border:0;padding:.2rem 0;max-width:none;min-width:0;text-align:left}
table.cards th[scope=row]{font-size:1.1rem}
table.cards td:not(.thumb){display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem;overflow-wrap:anywhere}
table.cards td::before{font-weight:600;color:var(--muted)}
table.stores td:nth-child(2)::before{content:"Items" / ""}
table.stores td:nth-child(3)::before{content:"Units" / ""}
table.stores td:nth-child(4)::before{content:"Out of stock" / ""}
table.stores td:nth-child(5)::before{content:"Low" / ""}
table.stores td:nth-child(6)::before{content:"Last update" / ""}
table.attention-list td:nth-child(2)::before,table.alerts td:nth-child(3)::before{content:"Store" / ""}
table.attention-list td:nth-child(3)::before,table.search-results td:nth-child(3)::before{content:"Status" / ""}
table.attention-list td:nth-child(4)::before,table.search-results td:nth-child(2)::before{content:"Count" / ""}
table.attention-list td:nth-child(5)::before{content:"For" / ""}
table.alerts td:nth-child(1)::before{content:"When" / ""}
table.alerts td:nth-child(4)::before{content:"Alert" / ""}
table.alerts td:nth-child(5)::before{content:"Count" / ""}
table.search-results td:nth-child(4)::before{content:"Last update" / ""}
table.items td:nth-child(7)::before{content:"Trend" / ""}
table.history td:nth-child(2)::before{content:"Count" / ""}
table.history td:nth-child(3)::before{content:"Change" / ""}
table.history td:nth-child(4)::before{content:"Stock" / ""}
.site-search{flex-basis:100%}.site-search input{flex:1;width:auto}
table.items td:nth-child(3)::before{content:"Count" / ""}
table.items td:nth-child(4)::before{content:"Status" / ""}
table.items td:nth-child(5)::before{content:"Last update" / ""}
table.items td:nth-child(6)::before{content:"Source file" / ""}
tr.has-out td.out-count::before{content:"● Out of stock" / ""}
table.cards td:empty{display:none}
table.cards td.thumb{float:right;width:auto;margin:0 0 .25rem .75rem}
tr.has-out{border-color:var(--out-fg)}
}
`;

const APP_JS = `'use strict';
// Upload forms: ask the server for a presigned POST, then post the file straight to S3,
// which redirects back to the dashboard. The policy fixes the key, type and size.
(function () {
  var forms = document.querySelectorAll('form[data-upload]');
  Array.prototype.forEach.call(forms, function (form) {
    form.hidden = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var status = form.querySelector('[role=status]');
      var fileInput = form.querySelector('input[type=file]');
      var file = fileInput && fileInput.files && fileInput.files[0];
      if (!file) { status.textContent = 'Choose a file first.'; return; }
      var kind = form.getAttribute('data-upload');
      var request = { kind: kind, returnTo: form.getAttribute('data-return') || '/' };
      if (kind === 'inventory') { request.filename = file.name; }
      else { request.item = form.querySelector('[name=item]').value; request.contentType = file.type; }
      var headers = { 'content-type': 'application/json', accept: 'application/json' };
      // The session's access token, for API Gateway's JWT authorizer on this route (AWS).
      var token = form.getAttribute('data-access-token');
      if (token) { headers.authorization = 'Bearer ' + token; }
      status.textContent = 'Preparing the upload…';
      fetch('/api/uploads', { method: 'POST', headers: headers, body: JSON.stringify(request), credentials: 'same-origin' })
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (answer) {
            if (response.status === 401) { throw new Error('Your session has expired: reload the page to sign in again.'); }
            if (!response.ok) { throw new Error(answer.detail || answer.title || 'The upload was refused.'); }
            if (file.size > answer.maxBytes) { throw new Error('The file is too large (at most ' + answer.maxBytes + ' bytes).'); }
            var post = document.createElement('form');
            post.method = 'post';
            post.action = answer.url;
            post.enctype = 'multipart/form-data';
            post.hidden = true;
            Object.keys(answer.fields).forEach(function (name) {
              var input = document.createElement('input');
              input.type = 'hidden';
              input.name = name;
              input.value = answer.fields[name];
              post.appendChild(input);
            });
            // S3 ignores every field after the file, so the file goes last.
            var copy = document.createElement('input');
            copy.type = 'file';
            copy.name = 'file';
            var transfer = new DataTransfer();
            transfer.items.add(file);
            copy.files = transfer.files;
            post.appendChild(copy);
            document.body.appendChild(post);
            status.textContent = 'Uploading…';
            post.submit();
          });
        })
        .catch(function (error) {
          status.textContent = error && error.message ? error.message : 'The upload failed.';
        });
    });
  });
})();
// A page with something running (an import) marks its live part with data-refresh: fetch
// the page again every few seconds and swap that part in, until nothing in it runs.
(function () {
  var live = document.querySelector('[data-refresh]');
  if (!live || !live.id || !window.fetch || !window.DOMParser) { return; }
  var delay = (Number(live.getAttribute('data-refresh')) || 3) * 1000;
  function look() {
    if (document.hidden) { setTimeout(look, delay); return; }
    fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.text();
      })
      .then(function (text) {
        var next = new DOMParser().parseFromString(text, 'text/html').getElementById(live.id);
        if (!next) { return; }
        live.replaceChildren.apply(live, Array.prototype.slice.call(next.childNodes));
        if (next.hasAttribute('data-refresh')) { setTimeout(look, delay); }
        else { live.removeAttribute('data-refresh'); }
      })
      .catch(function () { setTimeout(look, delay * 2); });
  }
  setTimeout(look, delay);
})();
`;

/**
 * A box on a shelf, in the accent colour; SVG, so one file serves every size. Browsers check a
 * page's icon against `img-src`, which names this path for it (security-headers.ts).
 */
const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b5cad"/><rect x="8" y="7" width="16" height="13" rx="1.5" fill="#fff"/><path d="M13 7v5h6V7" fill="#0b5cad"/><rect x="5" y="22" width="22" height="3" rx="1" fill="#fff"/></svg>
`;

export const FAVICON_PATH = '/assets/favicon.svg';

export interface StaticAsset {
  contentType: string;
  body: string;
  etag: string;
}

export const ASSETS: Record<string, StaticAsset> = {
  '/assets/app.css': { contentType: 'text/css; charset=utf-8', body: APP_CSS, etag: entityTag(APP_CSS) },
  '/assets/app.js': { contentType: 'text/javascript; charset=utf-8', body: APP_JS, etag: entityTag(APP_JS) },
  [FAVICON_PATH]: { contentType: 'image/svg+xml', body: FAVICON_SVG, etag: entityTag(FAVICON_SVG) },
};
