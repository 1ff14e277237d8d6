import { html, type SafeHtml } from './html.ts';
import type { ErrorPage } from './middlewares/problem-responses.ts';

/** What every page shares: the header (who is signed in, the navigation), the upload forms. */

/** Which upload forms a page shows, and the token their script sends with an upload request. */
export interface UploadForms {
  inventory: boolean;
  image: boolean;
  /** Sent as `Authorization: Bearer` (API Gateway's JWT authorizer reads only that header). */
  accessToken?: string;
}

export const NO_UPLOADS: UploadForms = { inventory: false, image: false };

export interface PageChrome {
  /** The header's sign-in line: who is signed in, or that sign-in is off; none on error pages. */
  session?: { signedInAs: string } | 'sign-in-off';
  /** Users limited to some stores do not see the import reports (they list every store's rows). */
  showImports?: boolean;
  uploads: UploadForms;
  /** The key of a file just uploaded through a form (S3 redirected back with it). */
  uploadedKey?: string;
}

/** The upload forms' section, the target of the header's Upload link. */
const UPLOADS_ID = 'uploads';

export type Section = 'dashboard' | 'imports' | 'store' | 'alerts' | 'search' | 'other';

export function formatTimestamp(value: string | undefined): SafeHtml {
  if (!value) return html`<span class="muted">—</span>`;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return html`${value}`;
  const shown = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${date.toISOString()}">${shown}</time>`;
}

/** A span of time for a person: `40 s`, `12 min`, `3 h 5 min`, `2 days`; rounded down, at least 1 s. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(1, Math.floor(milliseconds / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

// One formatter for every cell: Number#toLocaleString builds a new one per call.
const NUMBER_FORMAT = new Intl.NumberFormat('en-US');

export function formatNumber(value: number | undefined): string {
  return value === undefined ? '—' : NUMBER_FORMAT.format(value);
}

/** The sign-out button is a form: signing out changes state, so it is a (CSRF-checked) POST. */
function sessionLine(session: PageChrome['session']): SafeHtml | string {
  if (session === undefined) return '';
  if (session === 'sign-in-off') return html`<p class="session">Sign-in is off (local)</p>`;
  return html`<div class="session">
<p>Signed in as <strong>${session.signedInAs}</strong></p>
<form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>
</div>`;
}

/** Find an item in every store, from every page (the search page has its own, larger form). */
function searchForm(onSearchPage: boolean): SafeHtml | string {
  if (onSearchPage) return '';
  return html`<form class="site-search" role="search" method="get" action="/search">
<label for="site-search-item" class="visually-hidden">Find an item in every store</label>
<input id="site-search-item" name="item" type="search" placeholder="Find an item" required maxlength="1024" autocomplete="off">
<button type="submit">Find</button>
</form>`;
}

export function layout(
  title: string,
  section: Section,
  chrome: PageChrome,
  body: SafeHtml,
  options: { uploadsOnPage?: boolean } = {},
): string {
  const current = (name: Section) => (section === name ? html` aria-current="page"` : '');
  // On a phone the forms are far below the tables: the header leads to them from every page
  // (to this page's own forms where it has them, else to the home page's).
  const canUpload = chrome.uploads.inventory || chrome.uploads.image;
  const upload = canUpload
    ? html`<li><a href="${options.uploadsOnPage ? '' : '/'}#${UPLOADS_ID}">Upload</a></li>`
    : '';
  const notice = chrome.uploadedKey
    ? html`<p class="notice" role="status">Received <code>${chrome.uploadedKey}</code>. It is processed in
        the background: refresh in a few seconds to see the result.</p>`
    : '';
  const imports =
    chrome.showImports === false ? '' : html`<li><a href="/imports"${current('imports')}>Imports</a></li>`;
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Stockroom</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<script src="/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<p class="brand"><a href="/">Stockroom</a></p>
<nav aria-label="Main">
<ul>
<li><a href="/"${current('dashboard')}>Stores</a></li>
<li><a href="/alerts"${current('alerts')}>Alerts</a></li>
${imports}
${upload}
</ul>
</nav>
${chrome.session === undefined ? '' : searchForm(section === 'search')}
${sessionLine(chrome.session)}
</header>
<main id="main">
${notice}
${body}
</main>
</body>
</html>
`}`;
}

export function renderUploadForms(forms: UploadForms, returnTo: { csv: string; image: string }): SafeHtml {
  if (!forms.inventory && !forms.image) return html``;
  const token = forms.accessToken ? html` data-access-token="${forms.accessToken}"` : '';
  const inventory = forms.inventory
    ? html`<form class="upload" data-upload="inventory" data-return="${returnTo.csv}"${token} hidden>
<h3>Inventory CSV</h3>
<div class="field">
<label for="csv-file">CSV file with the columns store, item, count</label>
<input id="csv-file" type="file" accept=".csv,.gz,text/csv" required>
</div>
<button type="submit">Upload CSV</button>
<p class="upload-status" role="status" aria-live="polite"></p>
</form>`
    : '';
  const image = forms.image
    ? html`<form class="upload" data-upload="image" data-return="${returnTo.image}"${token} hidden>
<h3>Item photo</h3>
<div class="field">
<label for="image-item">Item</label>
<input id="image-item" name="item" type="text" required maxlength="200" autocomplete="off">
</div>
<div class="field">
<label for="image-file">Photo (JPEG, PNG, WebP, GIF, AVIF or TIFF)</label>
<input id="image-file" type="file" accept="image/jpeg,image/png,image/webp,image/gif,image/avif,image/tiff" required>
</div>
<button type="submit">Upload photo</button>
<p class="upload-status" role="status" aria-live="polite"></p>
</form>`
    : '';
  return html`<section class="uploads" id="${UPLOADS_ID}" aria-labelledby="uploads-heading">
<h2 id="uploads-heading">Upload</h2>
<noscript><p>Uploading from this page needs JavaScript (the browser sends the file straight to S3).
Without it, copy files into the uploads bucket under <code>inventory/</code> or <code>images/</code>.</p></noscript>
${inventory}
${image}
</section>`;
}

export function renderErrorPage(page: ErrorPage): string {
  const list =
    page.parameters.length > 0
      ? html`<ul>${page.parameters.map((p) => html`<li><code>${p.parameter}</code> ${p.detail}</li>`)}</ul>`
      : '';
  return layout(
    page.title,
    'other',
    { uploads: NO_UPLOADS },
    html`<h1>${page.title}</h1>
<p>${page.detail}</p>
${list}
${page.requestId ? html`<p class="muted">Reference: <code>${page.requestId}</code></p>` : ''}
<p><a href="/">Back to the stores</a></p>`,
  );
}
