/**
 * Messages between the extension host and its webviews (postMessage), declared once and validated on arrival
 * on both sides. The webview never trusts a message it cannot parse.
 */
import { z } from 'zod';
import { Health } from './rpc';

export const HostToWebview = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('runtimeStatus'),
    state: z.enum(['starting', 'ready', 'stopped', 'restricted', 'failed']),
    message: z.string(),
    health: Health.optional(),
  }),
]);
export type HostToWebview = z.infer<typeof HostToWebview>;

export const WebviewToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('recheck') }),
  z.object({ type: z.literal('showLogs') }),
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;
