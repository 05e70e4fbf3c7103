/**
 * GBNF grammars for constrained decoding: the model may only write one of the environment's valid commands.
 * The commands are laid out as a prefix tree ("go to " (kitchen | hallway) ...), not as a flat alternation: with
 * thousands of ScienceWorld commands a flat list keeps thousands of grammar stacks alive at every token, a tree
 * only the branches the text written so far still allows.
 */

interface TrieNode {
  children: Map<string, TrieNode>;
  /** A command ends here. */
  end: boolean;
}

function buildTrie(words: readonly string[]): TrieNode {
  const root: TrieNode = { children: new Map(), end: false };
  for (const word of words) {
    let node = root;
    for (const ch of word) {
      let next = node.children.get(ch);
      if (!next) node.children.set(ch, (next = { children: new Map(), end: false }));
      node = next;
    }
    node.end = true;
  }
  return root;
}

/** A GBNF string literal. */
export function gbnfLiteral(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The expression for everything below `node`, with single-child chains merged into one literal. */
function expression(node: TrieNode): string {
  const branches: string[] = [];
  for (const [ch, child] of node.children) {
    let text = ch;
    let tail = child;
    while (!tail.end && tail.children.size === 1) {
      const [nextCh, next] = tail.children.entries().next().value!;
      text += nextCh;
      tail = next;
    }
    const rest = tail.children.size ? expression(tail) : '';
    branches.push(rest ? `${gbnfLiteral(text)} ${rest}` : gbnfLiteral(text));
  }
  if (branches.length === 0) return '';
  const group = branches.length === 1 ? branches[0]! : `(${branches.join(' | ')})`;
  const wrapped = branches.length === 1 && group.includes(' ') ? `(${group})` : group;
  return node.end ? `${wrapped}?` : group;
}

/**
 * A grammar whose sentences are exactly the given commands, optionally followed by the low-level policy's
 * "; True" / "; False" subtask flag.
 */
export function commandGrammar(commands: readonly string[], options: { withSubtaskFlag: boolean }): string {
  const unique = [...new Set(commands.map((c) => c.trim()).filter(Boolean))];
  if (unique.length === 0) throw new Error('a command grammar needs at least one command');
  const lines = [`command ::= ${expression(buildTrie(unique))}`];
  if (options.withSubtaskFlag) {
    lines.unshift('root ::= command "; " flag');
    lines.push('flag ::= "True" | "False"');
  } else {
    lines.unshift('root ::= command');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * llama.cpp parses GBNF recursively, one native stack frame per nesting level: tens of thousands of levels crash the
 * process (no exception to catch). Grammars go through this before they reach it; ours nest as deep as their
 * longest command is long (a prefix tree), far below the limit.
 */
export const MAX_GRAMMAR_NESTING = 2000;

/** The deepest parenthesis nesting of a GBNF text, outside string literals, character classes and comments. */
export function grammarNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === '[') {
      const close = ch === '"' ? '"' : ']';
      for (i++; i < text.length && text[i] !== close; i++) if (text[i] === '\\') i++;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '(') {
      deepest = Math.max(deepest, ++depth);
    } else if (ch === ')') {
      depth = Math.max(0, depth - 1);
    }
  }
  return deepest;
}
