/** Types of workbench-setup.mjs (the set-up of the workbench end-to-end test). */
export const CODE_SERVER_VERSION: string;
export const e2eHome: string;
export const codeServerPrefix: string;
export const codeServerEntry: string;
export const chromiumPath: string;
export function codeServerEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
export function setUpWorkbench(): { codeServerEntry: string; chromiumPath: string };
