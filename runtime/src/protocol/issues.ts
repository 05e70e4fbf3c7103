/** Validation problems as one line a person can act on: where (a field path, or the input as a whole) and what. */
export function describeIssues(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>, whole = 'params'): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path.length ? i.path.map(String).join('.') : whole}: ${i.message}`);
  return shown.join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
}
