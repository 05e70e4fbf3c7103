/** The runtime's JSON-RPC server (`stephrl serve`) as the extension uses it: over stdio, validated both ways. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { onNotification, sendRequest } from '../../runtime/src/protocol/jsonrpc';
import { cli, isAlive, root, waitFor } from './helpers';

const server = spawn(process.execPath, [cli, 'serve'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
const logs: string[] = [];
onNotification(connection, 'runtime/log', ({ message }) => logs.push(message));
connection.listen();
after(() => {
  connection.dispose();
  server.kill('SIGKILL');
});

test('health reports Node, Python, Java and the ALFWorld data', async () => {
  const health = await sendRequest(connection, 'runtime/health', {});
  assert.equal(health.node.ok, true);
  assert.equal(health.python.ok, true, health.python.detail);
  assert.equal(health.java.ok, true, health.java.detail);
  assert.equal(health.alfworldData.ok, true, health.alfworldData.detail);
});

test('invalid params are refused before any handler runs', async () => {
  await assert.rejects(
    connection.sendRequest('env/listSplit', { env: 'alfworld' }),
    (e: unknown) => e instanceof ResponseError && e.code === -32602 && /split/.test(e.message),
  );
});

test('expert steps stream as notifications, and engine errors come back as errors', async () => {
  const streamed: number[] = [];
  onNotification(connection, 'env/expertStep', ({ token, step }) => token === 't1' && streamed.push(step.steps));
  const trajectory = await sendRequest(connection, 'env/runExpert', {
    episode: { env: 'scienceworld', task: 'boil', variation: 0 },
    token: 't1',
  });
  assert.equal(trajectory.summary.score, 100);
  assert.deepEqual(streamed, trajectory.steps.map((s) => s.steps));
  await assert.rejects(
    sendRequest(connection, 'env/runExpert', { episode: { env: 'scienceworld', task: 'boill', variation: 0 } }),
    (e: unknown) => e instanceof ResponseError && e.code === -32001 && /unknown ScienceWorld task/.test(e.message),
  );
});

test('closing stdin stops the server and its workers', async () => {
  connection.dispose();
  server.stdin.end();
  assert.ok(await waitFor(() => !isAlive(server.pid!), 15_000), 'the runtime did not exit when its client went away');
});
