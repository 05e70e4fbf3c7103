/** Grammar nesting is measured outside literals, character classes and comments (what llama.cpp's parser recurses on). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandGrammar, grammarNestingDepth, MAX_GRAMMAR_NESTING } from '../../runtime/src/llm/grammar';

test('nesting depth counts parentheses only where the parser sees them', () => {
  assert.equal(grammarNestingDepth('root ::= "a"'), 0);
  assert.equal(grammarNestingDepth('root ::= ("a" | ("b" "c"))*'), 2);
  assert.equal(grammarNestingDepth('root ::= "((((" [(((] # (((((\n x ::= ("\\"(")'), 1);
  assert.equal(grammarNestingDepth(`root ::= ${'('.repeat(3000)}"a"${')'.repeat(3000)}`), 3000);
});

test("the agents' own command grammars stay far below the limit", () => {
  const commands = [
    'go to countertop 1',
    'go to countertop 12',
    'take apple 1 from countertop 1',
    'put apple 1 in/on fridge 1',
    'examine the very long receptacle name 17',
  ];
  const depth = grammarNestingDepth(commandGrammar(commands, { withSubtaskFlag: true }));
  assert.ok(depth > 0 && depth < MAX_GRAMMAR_NESTING / 10, String(depth));
});
