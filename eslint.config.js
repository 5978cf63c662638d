import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders may only import what DESIGN.md's layout allows; the linter keeps it so. */
const boundary = (message, ...groups) => ({
  'no-restricted-imports': ['error', { patterns: groups.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  // generated/: the Codex app-server protocol as Codex writes it (scripts/codex-protocol.mjs), never edited.
  { ignores: ['dist/', 'node_modules/', 'build/', 'daemon/runtime/providers/app-server/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: boundary(
      'src/ is the shared core: it never imports daemon/, tui/ or bin/.',
      '**/daemon/**',
      '**/tui/**',
      '**/bin/**',
    ),
  },
  { files: ['daemon/**/*.ts'], rules: boundary('daemon/ never imports tui/ or bin/.', '**/tui/**', '**/bin/**') },
  {
    files: ['tui/**/*.ts', 'tui/**/*.tsx'],
    rules: boundary('tui/ talks to the daemon through src/ only.', '**/daemon/**', '**/bin/**'),
  },
  {
    // The TUI's tests drive the bundle cortex tui loads (test/tui/helpers/shipped.ts): the modules,
    // Ink and React are imported for their types only.
    files: ['test/tui/**/*.ts', 'test/tui/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/tui/**', 'ink', 'react', 'ink-testing-library'],
              allowTypeImports: true,
              message: 'TUI tests run the bundle: take it from test/tui/helpers/shipped.ts (types may be imported).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
