import { writeFileSync } from 'node:fs';

/** Counts every browser test for the closing line of `npm test` (scripts/test.mjs reads the file). */
export function countReporter(file) {
  return {
    onTestRunFinished({ sessions }) {
      const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
      const walk = (suite, prefix) => {
        for (const t of suite.tests) {
          const name = `${prefix}${t.name}`;
          if (t.skipped) counts.skipped++;
          else if (t.passed) counts.passed++;
          else {
            counts.failed++;
            counts.failures.push(name);
          }
        }
        for (const s of suite.suites) walk(s, `${prefix}${s.name} > `);
      };
      for (const session of sessions) {
        if (session.testResults) walk(session.testResults, `${session.testFile}: `);
        // A file that failed to load or threw outside a test counts as one failure, never as nothing.
        if (session.errors.length > 0 || (session.passed === false && !session.testResults)) {
          counts.failed++;
          counts.failures.push(`${session.testFile}: ${session.errors.map((e) => e.message).join('; ')}`);
        }
      }
      writeFileSync(file, JSON.stringify(counts));
    },
  };
}
