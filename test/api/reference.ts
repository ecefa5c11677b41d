/**
 * API.md, the API reference, generated from the package's public exports (src/index.ts) and their doc comments with
 * the TypeScript compiler: `npm run api` writes it, test/api/reference.test.ts fails while the committed file differs
 * and while any public name or member has no doc comment.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export const REPO = path.resolve(__dirname, '..', '..');
const INDEX = path.join(REPO, 'src', 'index.ts');

interface Entry {
  readonly name: string;
  readonly kind: string;
  readonly doc: string;
  readonly signature?: string;
  readonly members: { name: string; signature: string; doc: string }[];
}

const KINDS: [ts.SymbolFlags, string][] = [
  [ts.SymbolFlags.Class, 'class'], [ts.SymbolFlags.Interface, 'interface'], [ts.SymbolFlags.Enum, 'enum'],
  [ts.SymbolFlags.TypeAlias, 'type'], [ts.SymbolFlags.Variable, 'const'], [ts.SymbolFlags.Function, 'function'],
];

/** The public API: every export of src/index.ts with its doc comment and its public members. */
export function publicApi(): Entry[] {
  const program = ts.createProgram([INDEX], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, skipLibCheck: true, resolveJsonModule: true, noEmit: true });
  const checker = program.getTypeChecker();
  const docOf = (s: ts.Symbol) => {
    const text = ts.displayPartsToString(s.getDocumentationComment(checker)).trim();
    const tags = s.getJsDocTags(checker).filter((t) => t.name === 'default').map((t) => `Default: ${ts.displayPartsToString(t.text).trim()}`);
    return [text, ...tags].filter(Boolean).join(' ');
  };
  const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
  const entries: Entry[] = [];
  for (const alias of checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!)) {
    const s = alias.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(alias) : alias;
    const decl = s.declarations?.[0];
    const kind = KINDS.find(([flag]) => s.flags & flag)?.[1] ?? 'value';
    const members: Entry['members'] = [];
    let signature: string | undefined;
    if (decl && (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl) || ts.isEnumDeclaration(decl))) {
      for (const m of decl.members as ts.NodeArray<ts.NamedDeclaration>) {
        const modifiers = ts.canHaveModifiers(m) ? ts.getModifiers(m) ?? [] : [];
        if (modifiers.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
        const symbol = (m as unknown as { symbol?: ts.Symbol }).symbol;
        if (!symbol || !m.name || symbol.name.startsWith('_')) continue;
        const isStatic = modifiers.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
        let sig: string;
        if (ts.isEnumMember(m)) sig = `= ${JSON.stringify(checker.getConstantValue(m))}`;
        else if (ts.isMethodDeclaration(m) || ts.isMethodSignature(m)) {
          const callSig = checker.getSignatureFromDeclaration(m as ts.SignatureDeclaration)!;
          sig = `${isStatic ? 'static ' : ''}${symbol.name}${oneLine(checker.signatureToString(callSig))}`;
        } else {
          const optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
          sig = `${isStatic ? 'static ' : ''}${symbol.name}${optional ? '?' : ''}: ${oneLine(checker.typeToString(checker.getTypeOfSymbolAtLocation(symbol, m)))}`;
        }
        members.push({ name: symbol.name, signature: sig, doc: oneLine(docOf(symbol)) });
      }
    } else if (decl && (kind === 'const' || kind === 'function')) {
      signature = oneLine(checker.typeToString(checker.getTypeOfSymbolAtLocation(s, decl)));
    }
    entries.push({ name: alias.name, kind, doc: oneLine(docOf(s)), signature, members });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

/** API.md's text. */
export function renderApiReference(entries: Entry[] = publicApi()): string {
  const out = [
    '# API reference',
    '',
    '<!-- Generated from src/index.ts by `npm run api` (test/api/reference.ts); do not edit. -->',
    '',
    'Everything `cdk8s-airflow` exports. Start with [`AirflowChart`](#airflowchart) and [`AirflowChartProps`](#airflowchartprops);',
    'the README shows them in use. Component classes are exported as types: they are the chart\'s properties.',
    '',
  ];
  for (const e of entries) {
    out.push(`## ${e.name}`, '', `*${e.kind}*${e.signature ? ` \`${e.signature}\`` : ''}`, '', e.doc || '(undocumented)', '');
    if (e.members.length > 0) {
      out.push('| member | doc |', '|---|---|');
      for (const m of e.members) out.push(`| \`${m.signature.replace(/\|/g, '\\|')}\` | ${(m.doc || '(undocumented)').replace(/\|/g, '\\|')} |`);
      out.push('');
    }
  }
  return out.join('\n');
}

if (require.main === module) {
  fs.writeFileSync(path.join(REPO, 'API.md'), renderApiReference());
  console.log('wrote API.md');
}
