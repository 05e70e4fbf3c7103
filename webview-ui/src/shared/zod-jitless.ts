/**
 * Zod compiles object parsers with `new Function` unless told not to, and probes for it even when it may not:
 * the webview's CSP forbids eval, and the probe alone reports a violation. Imported first by the entry point,
 * before any schema is built (the setting is read when a schema is created).
 */
import { z } from 'zod';

z.config({ jitless: true });
