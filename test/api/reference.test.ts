import * as fs from 'fs';
import * as path from 'path';
import { publicApi, renderApiReference, REPO } from './reference';

describe('API reference (API.md)', () => {
  const entries = publicApi();

  test('every export and every public member has a doc comment', () => {
    const names = entries.length + entries.reduce((a, e) => a + e.members.length, 0);
    console.log(`public API: ${entries.length} exports, ${names} names and members`);
    expect(names).toBeGreaterThan(300);
    const missing = entries.flatMap((e) => [...(e.doc ? [] : [e.name]), ...e.members.filter((m) => !m.doc).map((m) => `${e.name}.${m.name}`)]);
    expect(missing).toEqual([]);
  });

  test('API.md is up to date (npm run api regenerates it)', () => {
    expect(fs.readFileSync(path.join(REPO, 'API.md'), 'utf8')).toBe(renderApiReference(entries));
  });
});
