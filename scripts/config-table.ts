/** Prints the configuration table of README.md from the config module, so the two cannot drift apart. */
import { variables } from '@leadscore/config';

export function configTable(): string {
  const rows = Object.entries(variables).map(
    ([name, spec]) => `| \`${name}\` | ${spec.default === '' ? '(empty)' : `\`${spec.default}\``} | ${spec.doc} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${configTable()}\n`);
