import { locateChromium } from '../../scripts/prerequisites.mjs';

/**
 * The Chromium the browser tests launch, found as `npm run doctor` finds it:
 * `STOCKROOM_CHROMIUM` when set, else `chromium` on the PATH (Debian's is /usr/bin/chromium).
 */
export function chromiumExecutable(): string {
  const located = locateChromium();
  if ('path' in located) return located.path;
  throw new Error(
    `No Chromium for the browser tests: ${located.problem} \`npm run doctor\` says how to get it.`,
  );
}
