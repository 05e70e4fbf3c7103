// ESLint for every TypeScript and JavaScript file we write (`npm run lint`, run first by `npm test`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', '.stephrl/**', 'runtime/python/**', '**/*.d.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Unused names are a compile error already (noUnusedLocals); `_`-prefixed parameters say "unused on purpose".
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  { files: ['webview-ui/**'], languageOptions: { globals: { ...globals.browser } } },
  // The `stephrl` launcher stays CommonJS so that it runs on any Node without a loader.
  { files: ['runtime/bin/**/*.js'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
