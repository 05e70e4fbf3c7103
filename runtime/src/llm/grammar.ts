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
