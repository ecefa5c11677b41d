// `npm run chart`: writes charts/airflow from the constructs and the values model. Not exported.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { dirname, join, relative } from 'path';
import { generateHelmChart } from './chart';

const out = process.argv[2] ?? 'charts/airflow';
const files = generateHelmChart();
const existing = (dir: string): string[] => {
  try {
    return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? existing(join(dir, f)) : [join(dir, f)]));
  } catch {
    return [];
  }
};
for (const f of existing(out)) if (!files.has(relative(out, f))) rmSync(f);
for (const [path, content] of files) {
  mkdirSync(dirname(join(out, path)), { recursive: true });
  writeFileSync(join(out, path), content);
}
console.log(`wrote ${files.size} files to ${out}`);
