// `npm run doctor`: is everything `npm start` and `npm test` need on this machine? Each
// prerequisite with ✓ or ✗, and for each ✗ what is wrong and how to get it. Exits 1 when
// something is missing.
//
// `npm start` runs it with `--start`, `npm test` with `--tests`: only that command's
// prerequisites are checked, and nothing is printed unless one is missing.
import { checkPrerequisites } from './prerequisites.mjs';

const scope = process.argv.includes('--start') ? 'start' : 'test';
const quiet = process.argv.includes('--start') || process.argv.includes('--tests');
const results = checkPrerequisites(scope);
const missing = results.filter((result) => result.problem);

function describe(result) {
  if (!result.problem) return [`  ✓ ${result.name}: ${result.found}`];
  return [
    `  ✗ ${result.name} (${result.why}): ${result.problem}`,
    ...Object.entries(result.get).map(([system, how]) => `      ${system}: ${how}`),
  ];
}

if (quiet) {
  if (missing.length > 0) {
    const command = scope === 'start' ? 'start' : 'run its tests';
    const count = missing.length === 1 ? 'a prerequisite is' : `${missing.length} prerequisites are`;
    console.error(`Stockroom cannot ${command}: ${count} missing.\n`);
    console.error([...missing.flatMap(describe), '', 'Check again with `npm run doctor`.'].join('\n'));
  }
} else {
  const lines = ['For `npm start`:'];
  for (const result of results) {
    if (result.needs === 'test' && !lines.includes('For `npm test`, also:'))
      lines.push('For `npm test`, also:');
    lines.push(...describe(result));
  }
  lines.push(
    '',
    missing.length === 0
      ? 'Everything `npm start` and `npm test` need is here.'
      : `${missing.length} of ${results.length} missing: see how to get each above.`,
  );
  console.log(lines.join('\n'));
}
process.exitCode = missing.length > 0 ? 1 : 0;
