/**
 * Git LFS pointers: a repository that keeps its data files in Git LFS (many published trajectory sets do) gives a
 * clone without `git lfs` a three-line text in place of each file. Every importer would call it malformed JSON; this
 * says what it is and how to get the content.
 */

/** The first line of a pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md); hawser is its pre-1.0 name. */
const POINTER_VERSION = /^(?:\ufeff)?version https:\/\/(?:git-lfs\.github\.com|hawser\.github\.com)\/spec\/v\d+\s*$/m;

/** The problem to report when `text` is a Git LFS pointer, else null. */
export function lfsPointerProblem(text: string): string | null {
  if (text.length > 1024) return null; // pointers are under 200 bytes
  const firstLine = text.split('\n', 1)[0] ?? '';
  if (!POINTER_VERSION.test(firstLine)) return null;
  const size = /^size (\d+)\s*$/m.exec(text)?.[1];
  const oid = /^oid (\w+:[0-9a-f]{8})/m.exec(text)?.[1];
  const what = size ? `the ${Number(size).toLocaleString('en-US')} bytes of the real file` : 'the real file';
  return (
    `this is a Git LFS pointer, not the data: a small text that stands for ${what}${oid ? ` (${oid}…)` : ''}, kept in Git LFS storage. ` +
    'Fetch the content with `git lfs pull` (or `git lfs pull --include=<path>`) in the repository it came from, or download the file itself ' +
    "(for a Hugging Face dataset, its 'resolve' link), then import that"
  );
}
