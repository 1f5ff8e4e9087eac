/**
 * The import rule of docs/ARCHITECTURE.md ("Layers"): a file in src/ imports only its own folder
 * and folders in lower layers. The order is read from the doc's `layers` block, so the doc and the
 * rule cannot drift apart.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');

/** Layer of each folder (or single file) of src/: 0 is the bottom. */
function readLayers(): Map<string, number> {
  const doc = readFileSync(join(root, 'docs/ARCHITECTURE.md'), 'utf8');
  const block = doc.match(/```layers\n([\s\S]*?)```/)?.[1];
  if (block === undefined) throw new Error('docs/ARCHITECTURE.md has no ```layers block');
  // Each line: names, then two or more spaces, then a description.
  const rows = block.split('\n').filter((line) => line.trim() !== '').map((line) => line.split(/\s{2,}/)[0]!.trim().split(/\s+/));
  const layers = new Map<string, number>();
  rows.reverse().forEach((names, layer) => names.forEach((name) => layers.set(name, layer)));
  return layers;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative specifiers of static imports, re-exports and dynamic import()s (comments stripped). */
function relativeImports(code: string): string[] {
  const text = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g)];
  return found.map((match) => match[2]!);
}

/** The layer unit of a path inside src/: its top folder, or the file's own name at the root. */
function unitOf(file: string): string {
  return relative(src, file).split(/[\\/]/)[0]!;
}

describe('layers', () => {
  const layers = readLayers();

  it('places every folder and root file of src/', () => {
    const units = [...new Set(sourceFiles(src).map(unitOf))].sort();
    expect(units.filter((unit) => !layers.has(unit))).toEqual([]);
  });

  it('finds the imports the walk relies on', () => {
    expect(relativeImports(`import a from './a';\nexport { b } from "../b/c";\nconst m = await import('./m');\n// import x from './commented'\nimport './side';`)).toEqual(['./a', '../b/c', './m', './side']);
  });

  it('no file imports a folder in its own layer or above', () => {
    const broken: string[] = [];
    for (const file of sourceFiles(src)) {
      const from = unitOf(file);
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const target = resolve(dirname(file), spec);
        const rel = relative(src, target);
        if (rel.startsWith('..')) {
          broken.push(`${relative(root, file)} imports ${spec}, outside src/`);
          continue;
        }
        const to = unitOf(target.endsWith('.ts') ? target : `${target}.ts`);
        if (to === from) continue;
        if (!(layers.get(to)! < layers.get(from)!)) broken.push(`${relative(root, file)} (${from}) imports ${spec} (${to}), not a lower layer`);
      }
    }
    expect(broken).toEqual([]);
  });
});
