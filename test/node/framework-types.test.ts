// The framework types shipped in types/ (`zerto-billing-banner/react`, `zerto-billing-banner/vue`) name what the
// elements really take and fire: the names TypeScript sees in React's JSX.IntrinsicElements and Vue's
// GlobalComponents are compared with the custom elements manifest, generated from the elements' source as the
// build generates it. So are the Angular example's template and the README's Vue template, which no compiler
// here checks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import ts from 'typescript';
import { elementDocs, type ElementDoc } from '../../demo/manifest.ts';
import { readManifest } from '../../demo/manifest-file.ts';
import { ensureManifest } from '../../scripts/demo-server.ts';

const root = resolve(import.meta.dirname, '../..');
const CONFIG = join(root, 'examples/tsconfig.json');
/** A module that only names types, compiled with the examples' settings beside them (never written). */
const PROBE = join(root, 'examples/framework-types-probe.ts');
const PROBE_SOURCE = `
import type { DetailedHTMLProps, HTMLAttributes, JSX } from 'react';
import type { GlobalComponents, HTMLAttributes as VueHTMLAttributes, PublicProps } from 'vue';
import type {} from 'zerto-billing-banner/react';
import type {} from 'zerto-billing-banner/vue';
type Ours<K> = Extract<K, \`zerto-\${string}\`>;
export type ReactBase = DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement>;
export type ReactProps = { [T in Ours<keyof JSX.IntrinsicElements>]: JSX.IntrinsicElements[T] };
export type VueBase = VueHTMLAttributes & PublicProps;
export type VueProps = { [T in Ours<keyof GlobalComponents>]: InstanceType<GlobalComponents[T]>['$props'] };
export type VueEmit = { [T in Ours<keyof GlobalComponents>]: InstanceType<GlobalComponents[T]>['$emit'] };
`;

interface Typed {
  checker: ts.TypeChecker;
  /** The probe's exported type of that name. */
  type(name: string): ts.Type;
}

/** The probe compiled with examples/tsconfig.json (paths, jsx, the package's exports), and its diagnostics. */
function compile(): Typed {
  const parsed = ts.getParsedCommandLineOfConfigFile(CONFIG, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) =>
      assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  });
  assert.ok(parsed);
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, ...rest) =>
    resolve(file) === PROBE
      ? ts.createSourceFile(file, PROBE_SOURCE, lang)
      : getSourceFile(file, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => resolve(file) === PROBE || fileExists(file);
  const program = ts.createProgram({ rootNames: [PROBE], options: parsed.options, host });
  const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(PROBE));
  assert.deepEqual(
    problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    [],
    'the probe compiles',
  );
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(PROBE)!)!);
  return {
    checker,
    type(name) {
      const symbol = exports.find((s) => s.name === name);
      assert.ok(symbol, `the probe exports ${name}`);
      return checker.getDeclaredTypeOfSymbol(symbol);
    },
  };
}

const names = (checker: ts.TypeChecker, type: ts.Type): string[] =>
  checker.getPropertiesOfType(type).map((p) => p.name);

/** Per tag, the names of what the type gives that tag beyond `base` (the framework's own HTML props). */
function perTag(t: Typed, map: string, base: string | null): Map<string, string[]> {
  const common = new Set(base ? names(t.checker, t.type(base)) : []);
  const out = new Map<string, string[]>();
  for (const tag of t.checker.getPropertiesOfType(t.type(map))) {
    const props = names(t.checker, t.checker.getTypeOfSymbol(tag));
    out.set(tag.name, props.filter((p) => !common.has(p)).sort());
  }
  return out;
}

/** The event names a Vue `$emit` type accepts (one call signature per event; none when it takes `never`). */
function emitted(checker: ts.TypeChecker, emit: ts.Type): string[] {
  const events: string[] = [];
  for (const signature of emit.getCallSignatures()) {
    const first = signature.getParameters()[0];
    assert.ok(first, '$emit takes the event name first');
    const type = checker.getTypeOfSymbol(first);
    if (type.flags & ts.TypeFlags.Never) continue;
    assert.ok(
      type.isStringLiteral(),
      `$emit names its events, not any string (${checker.typeToString(type)})`,
    );
    events.push(type.value);
  }
  return events.sort();
}

let elements: ElementDoc[];
let typed: Typed;

before(() => {
  ensureManifest();
  const manifest = readManifest();
  assert.ok(manifest, 'custom-elements.json was generated');
  elements = elementDocs(manifest);
  assert.ok(elements.length >= 5, 'the manifest declares the elements');
  typed = compile();
});

/** What a host can set on an element: its attributes, and its fields that are neither readonly nor reflected. */
function api(e: ElementDoc) {
  const properties = e.properties.filter((p) => p.kind === 'field' && !p.readonly).map((p) => p.name);
  return {
    attributes: e.attributes.map((a) => a.name).sort(),
    /** Every property a host may set: those the attributes set, and the others. */
    writable: [...new Set([...e.attributes.map((a) => a.fieldName ?? a.name), ...properties])].sort(),
    properties: properties.sort(),
    events: e.events.map((ev) => ev.name).sort(),
  };
}

describe('the framework types name what the elements take and fire (custom-elements.json)', () => {
  test("React: each element's attributes, its properties without an attribute, and on + each event", () => {
    const react = perTag(typed, 'ReactProps', 'ReactBase');
    assert.deepEqual(
      [...react.keys()].sort(),
      elements.map((e) => e.tagName).sort(),
      'every element, no other',
    );
    for (const e of elements) {
      const a = api(e);
      const expected = [...a.attributes, ...a.properties, ...a.events.map((ev) => `on${ev}`)].sort();
      assert.deepEqual(react.get(e.tagName), expected, `<${e.tagName}> in JSX`);
    }
  });

  test("Vue: each element's writable properties in $props, its events in $emit", () => {
    const props = perTag(typed, 'VueProps', 'VueBase');
    assert.deepEqual(
      [...props.keys()].sort(),
      elements.map((e) => e.tagName).sort(),
      'every element, no other',
    );
    const emits = typed.type('VueEmit');
    for (const e of elements) {
      const a = api(e);
      assert.deepEqual(props.get(e.tagName), a.writable, `<${e.tagName}>'s $props`);
      const emit = typed.checker.getTypeOfSymbol(emits.getProperty(e.tagName)!);
      assert.deepEqual(emitted(typed.checker, emit), a.events, `<${e.tagName}>'s $emit`);
    }
  });

  test("the Angular example's template and the README's Vue template bind what the banner has", () => {
    const component = readFileSync(join(root, 'examples/angular/billing-banner.component.ts'), 'utf8');
    const angular = /template: `([^`]*)`/.exec(component)?.[1];
    assert.ok(angular, "the Angular example's template");
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const vue = /`(<zerto-billing-banner [^`]*\/>)`/.exec(readme)?.[1];
    assert.ok(vue, "the README's Vue template");
    const banner = elements.find((e) => e.tagName === 'zerto-billing-banner')!;
    const a = api(banner);
    for (const [where, template] of [
      ['examples/angular/billing-banner.component.ts', angular],
      ['README.md (Vue)', vue],
    ] as const) {
      const tag = /<zerto-billing-banner\b([^>]*?)\/?>/.exec(template)?.[1];
      assert.ok(tag, `${where} has a <zerto-billing-banner>`);
      for (const [, name] of tag.matchAll(/\s([^\s=]+)(?:="[^"]*")?/g)) {
        const bound = /^(?:\[(.+)\]|:(.+))$/.exec(name!);
        const listened = /^(?:\((.+)\)|@(.+))$/.exec(name!);
        if (bound) assert.ok(a.writable.includes(bound[1] ?? bound[2]!), `${where}: ${name} is a property`);
        else if (listened)
          assert.ok(a.events.includes(listened[1] ?? listened[2]!), `${where}: ${name} is an event it fires`);
        else assert.ok(a.attributes.includes(name!), `${where}: ${name} is an attribute`);
      }
    }
  });
});
