// A node:test reporter that writes the counts as JSON for scripts/test.mjs.
export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for await (const event of source) {
    // Only leaf tests count; suites (describe) report their own pass/fail too.
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') {
      if (event.type === 'test:fail' && event.data.details.error?.failureType !== 'subtestsFailed') {
        counts.failed++;
        counts.failures.push(`${event.data.file}: ${event.data.name}`);
      }
      continue;
    }
    if (event.data.skip || event.data.todo) counts.skipped++;
    else if (event.type === 'test:pass') counts.passed++;
    else {
      counts.failed++;
      counts.failures.push(`${event.data.file}: ${event.data.name}`);
    }
  }
  yield JSON.stringify(counts);
}
