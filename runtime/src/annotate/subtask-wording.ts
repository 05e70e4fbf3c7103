/**
 * Reading a subtask's name for the completion checks (alfworld-subtask-check.ts, scienceworld-subtask-check.ts): the
 * name as a planner or a person wrote it, lower-cased and without closing punctuation, against each check's pattern.
 */

/** The first check whose pattern the name matches, with the match; null where none does. */
export function matchingCheck<C extends { pattern: RegExp }>(checks: readonly C[], name: string): { check: C; match: RegExpMatchArray } | null {
  const wording = name
    .trim()
    .toLowerCase()
    .replace(/[.!]+$/, '');
  for (const check of checks) {
    const match = wording.match(check.pattern);
    if (match) return { check, match };
  }
  return null;
}
