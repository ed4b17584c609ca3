// Lint enforces the layering that the types cannot: plugin files stay copyable out of the
// package, the core never depends on a built-in plugin, and only the CLI prints.
import tseslint from 'typescript-eslint';

const SRC_DEPTHS = [1, 2, 3, 4];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.ci-cache/**', 'runs/**', '.attnlab/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    // A plugin gets everything it runs with from its context: from attnlab it imports only types.
    files: ['plugins/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/',
              allowTypeImports: true,
              message: 'a plugin imports only types from attnlab (`import type`); take what it runs with from its context (ctx.nn, ctx.tf, …).',
            },
          ],
          paths: [{ name: 'attnlab', allowTypeImports: true, message: 'a plugin imports only types from attnlab.' }],
        },
      ],
    },
  },
  // The core finds built-in plugins through the registry, never by importing them. A file n
  // folders below the repository reaches the top-level plugins/ through exactly n "../".
  ...SRC_DEPTHS.map((depth) => ({
    files: [`src/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: `^(\\.\\./){${depth}}plugins(/|$)`, message: 'src/ never imports plugins/: built-ins are found through the plugin registry.' }] },
      ],
    },
  })),
  {
    // Only the CLI writes to the process's streams; the rest writes to what it is given (src/terminal.ts).
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'stdout', message: 'only src/cli prints; write to the stream or notice you are given (src/terminal.ts).' },
        { object: 'process', property: 'stderr', message: 'only src/cli prints; write to the stream or notice you are given (src/terminal.ts).' },
      ],
    },
  },
);
