/**
 * Numbers and truth values as published files write them: JSON numbers and booleans, or the same in quotes
 * (ScienceWorld's gold sequences write `"score":"0.5"` and `"isCompleted":"false"`; ETO derivatives `"reward": "1.0"`,
 * `"success": "True"`). Absent (undefined or null) is not a problem; anything else is, with words for the message.
 */
import { describeJsonValue } from './json-positions';

export type Loose<T> = { ok: true; value: T | undefined } | { ok: false; problem: string };

const NUMBER_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** `field`: the name the message gives the value ("reward"). */
export function looseNumber(value: unknown, field: string): Loose<number> {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
  if (typeof value === 'string' && NUMBER_TEXT.test(value)) return { ok: true, value: Number(value) };
  return { ok: false, problem: `"${field}" must be a number (written plain or in quotes), but it is ${describeJsonValue(value)}` };
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

export function looseBoolean(value: unknown, field: string): Loose<boolean> {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value === 'boolean') return { ok: true, value };
  if (value === 1 || value === 0) return { ok: true, value: value === 1 };
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return { ok: true, value: true };
    if (FALSE_WORDS.has(word)) return { ok: true, value: false };
  }
  return { ok: false, problem: `"${field}" must be true or false (written plain or in quotes), but it is ${describeJsonValue(value)}` };
}

/** A whole number of at least 0, plain or in quotes (ids, ScienceWorld variations). */
export function looseIndex(value: unknown, field: string): Loose<number> {
  const read = looseNumber(value, field);
  if (!read.ok || read.value === undefined || (Number.isInteger(read.value) && read.value >= 0)) return read;
  return { ok: false, problem: `"${field}" must be a whole number of at least 0, but it is ${describeJsonValue(value)}` };
}
