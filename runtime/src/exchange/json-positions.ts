/**
 * JSON reading for importers that must say *where* a problem is: a strict scanner that reports the first syntax
 * error at its offset (V8's JSON.parse messages do not always carry one) and records where each value starts, so
 * that a problem found later (a missing field, a bad turn) can name its line. Also turns zod issues into sentences.
 */
import type { z } from 'zod';
import { lineOf } from './types';

export type JsonPath = ReadonlyArray<string | number>;

export class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Where the values of a JSON text start, down to a depth, and the lines of offsets. */
export class JsonLayout {
  private lineStarts: number[] | null = null;

  constructor(
    private readonly text: string,
    private readonly starts: Map<string, number>,
  ) {}

  /** Offset where the value at `path` starts (undefined when it is absent or deeper than was recorded). */
  start(path: JsonPath): number | undefined {
    return this.starts.get(pathKey(path));
  }

  /** 1-based line where the value at `path` starts, else where its nearest recorded parent starts, else 1. */
  lineAt(path: JsonPath): number {
    for (let n = path.length; n >= 0; n--) {
      const offset = this.start(path.slice(0, n));
      if (offset !== undefined) return this.lineOfOffset(offset);
    }
    return 1;
  }

  /** Same as lineOf, with a binary search: importers ask for many lines of large files. */
  lineOfOffset(offset: number): number {
    this.lineStarts ??= lineStartOffsets(this.text);
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }
}

function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function pathKey(path: JsonPath): string {
  return path.join('\u0000');
}

/** `[3].conversations[5]`: how problems name a place inside a file. */
export function formatPath(path: JsonPath): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
}

/**
 * Parses `text`, recording the start offset of every value down to `maxDepth` (0 = the root only).
 * Throws JsonSyntaxError at the first place the text is not JSON. A leading byte-order mark is ignored.
 */
export function readJson(text: string, maxDepth: number): { value: unknown; layout: JsonLayout } {
  const body = text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text;
  const scanner = new JsonScanner(body, maxDepth);
  scanner.document();
  return { value: JSON.parse(body), layout: new JsonLayout(body, scanner.starts) };
}

/** The line of a syntax error, in words fit for an ImportProblem. */
export function syntaxProblem(text: string, error: JsonSyntaxError): { line: number; message: string } {
  return { line: lineOf(text, error.offset), message: `not valid JSON: ${error.message}` };
}

/** readJson for importers: the parsed value, or the syntax problem's line and message instead of a throw. */
export function readJsonOrProblem(
  text: string,
  maxDepth: number,
): { ok: true; value: unknown; layout: JsonLayout } | { ok: false; line: number; message: string } {
  try {
    return { ok: true, ...readJson(text, maxDepth) };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return { ok: false, ...syntaxProblem(text, error) };
  }
}

const QUOTE = 34;
const BACKSLASH = 92;
/**
 * Deeper nesting is refused: the formats read here nest a few levels, and a scanner that followed a file 20 000
 * levels down would run out of stack (a crash with no file or line) long before it found anything useful.
 */
export const MAX_JSON_NESTING = 256;

/** A strict RFC 8259 scanner; it checks syntax and records offsets, JSON.parse builds the values afterwards. */
class JsonScanner {
  readonly starts = new Map<string, number>();
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  document(): void {
    this.skipWhitespace();
    if (this.pos >= this.text.length) throw new JsonSyntaxError(this.pos, 'the file is empty');
    this.value([]);
    this.skipWhitespace();
    if (this.pos < this.text.length) {
      throw new JsonSyntaxError(this.pos, `unexpected ${this.describeHere()} after the end of the JSON value`);
    }
  }

  private value(path: Array<string | number>): void {
    if (path.length > MAX_JSON_NESTING) {
      throw new JsonSyntaxError(this.pos, `the JSON nests deeper than ${MAX_JSON_NESTING} levels here, far deeper than any file this importer reads`);
    }
    if (path.length <= this.maxDepth) this.starts.set(pathKey(path), this.pos);
    const c = this.text.charCodeAt(this.pos);
    if (c === 123 /* { */) this.object(path);
    else if (c === 91 /* [ */) this.array(path);
    else if (c === QUOTE) this.string('text');
    else if (c === 45 /* - */ || (c >= 48 && c <= 57)) this.number();
    else if (!this.literal('true') && !this.literal('false') && !this.literal('null')) {
      throw new JsonSyntaxError(
        this.pos,
        `expected a value (text in double quotes, a number, true, false, null, an object or a list) but found ${this.describeHere()}`,
      );
    }
  }

  private object(path: Array<string | number>): void {
    this.pos++;
    this.skipWhitespace();
    if (this.peek() === 125 /* } */) {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.peek() !== QUOTE) {
        throw new JsonSyntaxError(
          this.pos,
          this.peek() === 125
            ? "a ',' is followed by '}': remove the trailing comma"
            : `expected a field name in double quotes but found ${this.describeHere()}`,
        );
      }
      const key = this.string('field name');
      this.skipWhitespace();
      if (this.peek() !== 58 /* : */)
        throw new JsonSyntaxError(this.pos, `expected ':' after the field name "${key}" but found ${this.describeHere()}`);
      this.pos++;
      this.skipWhitespace();
      this.value([...path, key]);
      this.skipWhitespace();
      const next = this.peek();
      this.pos++;
      if (next === 125) return;
      if (next !== 44 /* , */)
        throw new JsonSyntaxError(this.pos - 1, `expected ',' or '}' after the value of "${key}" but found ${this.describeAt(this.pos - 1)}`);
    }
  }

  private array(path: Array<string | number>): void {
    this.pos++;
    this.skipWhitespace();
    if (this.peek() === 93 /* ] */) {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.skipWhitespace();
      if (this.peek() === 93) throw new JsonSyntaxError(this.pos, "a ',' is followed by ']': remove the trailing comma");
      this.value([...path, index]);
      this.skipWhitespace();
      const next = this.peek();
      this.pos++;
      if (next === 93) return;
      if (next !== 44)
        throw new JsonSyntaxError(this.pos - 1, `expected ',' or ']' after item ${index + 1} of a list but found ${this.describeAt(this.pos - 1)}`);
    }
  }

  /** Scans a string and returns its raw content (escapes left as written; only field names use it). */
  private string(what: 'text' | 'field name'): string {
    const start = ++this.pos;
    for (;;) {
      if (this.pos >= this.text.length) throw new JsonSyntaxError(start - 1, `a ${what} in double quotes is never closed`);
      const c = this.text.charCodeAt(this.pos);
      if (c === QUOTE) break;
      if (c < 0x20) {
        throw new JsonSyntaxError(
          this.pos,
          c === 10
            ? `a ${what} in double quotes runs past the end of its line (write a line break as \\n)`
            : `a ${what} contains a raw control character (write it as an escape such as \\t)`,
        );
      }
      if (c === BACKSLASH) this.escape();
      else this.pos++;
    }
    this.pos++;
    return this.text.slice(start, this.pos - 1);
  }

  private escape(): void {
    const kind = this.text[this.pos + 1];
    if (kind === 'u') {
      if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
        throw new JsonSyntaxError(this.pos, 'a \\u escape must be followed by four hexadecimal digits');
      }
      this.pos += 6;
    } else if (kind !== undefined && '"\\/bfnrt'.includes(kind)) {
      this.pos += 2;
    } else {
      throw new JsonSyntaxError(this.pos, `\\${kind ?? ''} is not a valid escape in JSON text (use \\\\ for a backslash)`);
    }
  }

  private number(): void {
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = this.pos;
    const found = match.exec(this.text);
    const end = found ? this.pos + found[0].length : this.pos;
    if (!found || found[0] === '-' || /[\w.]/.test(this.text[end] ?? '')) {
      throw new JsonSyntaxError(this.pos, `malformed number ${JSON.stringify(this.text.slice(this.pos, this.pos + 20).split(/[\s,\]}]/)[0])}`);
    }
    this.pos = end;
  }

  private literal(word: string): boolean {
    if (!this.text.startsWith(word, this.pos) || /\w/.test(this.text[this.pos + word.length] ?? '')) return false;
    this.pos += word.length;
    return true;
  }

  private skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.pos++;
      else return;
    }
  }

  private peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  private describeHere(): string {
    return this.describeAt(this.pos);
  }

  private describeAt(offset: number): string {
    if (offset >= this.text.length) return 'the end of the file';
    const word = /^[\w.+-]+/.exec(this.text.slice(offset, offset + 30))?.[0];
    return word ? `'${word}'` : `'${this.text[offset]}'`;
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a text in double quotes',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

/** What a JSON value is, in words. */
export function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'number' ? 'the number' : ''} ${String(value)}`.trim();
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/**
 * A zod issue as a sentence: `"reward" must be a number, but it is the text "0.5"`, `the field "action" is missing`.
 * `input` is what was validated, so the offending value can be quoted.
 */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const field = issue.path.at(-1);
  const name = typeof field === 'string' ? `"${field}"` : typeof field === 'number' ? `item ${field + 1}` : 'the value';
  const requirement = issue.code === 'invalid_type' ? `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}` : issue.message;
  const found = valueAt(input, issue.path as Array<string | number>);
  if (found === undefined && typeof field === 'string') return `the field ${name} is missing (it ${requirement})`;
  const quotesValue = issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union';
  return quotesValue ? `${name} ${requirement}, but it is ${describeJsonValue(found)}` : `${name} ${requirement}`;
}
