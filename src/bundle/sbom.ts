/**
 * sbom.cdx.json: a CycloneDX 1.6 SBOM of the bundle, made with the CycloneDX library
 * (@cyclonedx/cyclonedx-library). One component per package (purl pkg:pypi/NAME@VERSION),
 * carrying its wheel's SHA-256 and the licence its METADATA declares; a package with one
 * wheel per target lists its wheels as sub-components, each with purl qualifier file_name
 * (purl-spec's pypi type). The dependency graph is the resolver's (manifest packages[].dependencies).
 *
 * Deterministic: the serial number is derived from the manifest's bytes, the timestamp is the
 * manifest's createdAt, and every list is sorted by the serializer.
 */
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, SPDX, Spec } from '@cyclonedx/cyclonedx-library';
import type { Licence } from '../audit/licences.js';
import { formatManifest, type Manifest } from './manifest.js';

export interface SbomInput {
  readonly manifest: Manifest;
  /**
   * Licence per bundle path (e.g. "wheels/x-1.0-py3-none-any.whl"), from the wheel's METADATA:
   * as src/audit/licences.ts reads it (an SPDX expression, or what was declared), or as text.
   */
  readonly licenses: ReadonlyMap<string, Licence | string | undefined>;
}

const normalize = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

/** purl for a PyPI package (purl-spec: name lower-cased, "_" → "-"). */
export function pypiPurl(name: string, version: string, fileName?: string): string {
  const base = `pkg:pypi/${encodeURIComponent(normalize(name))}@${encodeURIComponent(version)}`;
  return fileName === undefined ? base : `${base}?file_name=${encodeURIComponent(fileName)}`;
}

/** A urn:uuid built from a SHA-256 (RFC 4122 layout, version nibble 5-style, variant 10). */
export function serialNumberFor(data: string): string {
  const b = createHash('sha256').update(data).digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const SPDX_TOKEN = /^[A-Za-z0-9.+-]+$/;
// A plain boolean: the library's type guard would narrow a string to never in the else branch.
const isSpdxId = (value: string): boolean => SPDX.isSupportedSpdxId(value);

function licenseFor(text: string): Models.License {
  const t = text.trim();
  if (isSpdxId(t)) return new Models.SpdxLicense(t);
  // An SPDX expression (metadata 2.4 License-Expression), e.g. "MIT OR Apache-2.0".
  const tokens = t
    .replace(/[()]/g, ' ')
    .split(/\s+/)
    .filter((x) => x !== '');
  const operators = new Set(['AND', 'OR', 'WITH']);
  if (
    tokens.length >= 3 &&
    tokens.some((x) => operators.has(x)) &&
    tokens.every(
      (x) =>
        operators.has(x) ||
        (SPDX_TOKEN.test(x) && isSpdxId(x.replace(/\+$/, ''))) ||
        /-exception$/i.test(x),
    )
  ) {
    return new Models.LicenseExpression(t);
  }
  return new Models.NamedLicense(t.length > 200 ? `${t.slice(0, 197)}...` : t);
}

/**
 * A licence for the SBOM: the SPDX id or expression ferry could read (License-Expression, a
 * classifier naming one licence, or a License field that is exactly an SPDX id or name), else
 * what the metadata declared, as a named licence (a classifier's last part, "BSD License").
 */
export function sbomLicence(licence: Licence | string): Models.License | undefined {
  if (typeof licence === 'string') return licence.trim() === '' ? undefined : licenseFor(licence);
  if (licence.spdx !== undefined) return licenseFor(licence.spdx);
  const declared = licence.declared?.trim();
  if (declared === undefined || declared === '') return undefined;
  if (licence.source === 'classifier') {
    const names = declared
      .split('; ')
      .map((c) => c.split('::').at(-1)?.trim() ?? '')
      .filter((c) => c !== '' && c !== 'OSI Approved');
    return names.length === 0 ? undefined : licenseFor(names.join('; '));
  }
  return licenseFor(declared);
}

/** A wheel built on the bundling host: its provenance as CycloneDX properties (ferry:built:*). */
function addBuiltProperties(component: Models.Component, file: Manifest['files'][number]): void {
  const built = file.built;
  if (built === undefined) return;
  const b = built.builder;
  const props: [string, string][] = [
    ['ferry:built', 'true'],
    ['ferry:built:sdist', built.sdist.filename],
    ['ferry:built:sdist-sha256', built.sdist.sha256],
    ['ferry:built:sdist-url', built.sdist.url],
    ['ferry:built:backend', built.backend],
    ['ferry:built:build-requires', built.buildRequires.join(', ')],
    ...(built.buildRequested === undefined
      ? []
      : ([['ferry:built:build-requested', built.buildRequested.join(', ')]] as [string, string][])),
    [
      'ferry:built:builder',
      `${b.os} ${b.arch}${b.glibc === undefined ? '' : ` glibc ${b.glibc}`} ${b.implementation} ${b.python}`,
    ],
    ['ferry:built:network-isolated', String(built.networkIsolated)],
  ];
  for (const [name, value] of props) component.properties.add(new Models.Property(name, value));
}

const licenceKey = (l: Models.License): string =>
  l instanceof Models.SpdxLicense
    ? `id ${l.id}`
    : l instanceof Models.LicenseExpression
      ? `expression ${l.expression}`
      : `name ${(l as Models.NamedLicense).name}`;

export function formatSbom(input: SbomInput): string {
  const { manifest } = input;
  const bom = new Models.Bom();
  bom.serialNumber = serialNumberFor(formatManifest(manifest));
  bom.metadata.timestamp = new Date(manifest.createdAt);
  const [toolName, toolVersion] = manifest.tool.split(' ');
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, toolName ?? 'ferry', {
      ...(toolVersion === undefined ? {} : { version: toolVersion }),
    }),
  );
  const root = new Models.Component(Enums.ComponentType.Application, 'ferry-bundle', {
    bomRef: 'ferry-bundle',
    description: `Requirements: ${manifest.requirements.join(', ') || '(none)'}; targets: ${manifest.targets.map((t) => t.platform).join('; ')}`,
  });
  bom.metadata.component = root;

  const byName = new Map<string, Models.Component>();
  for (const pkg of manifest.packages) {
    const files = manifest.files.filter(
      (f) => normalize(f.name) === normalize(pkg.name) && f.version === pkg.version,
    );
    const fileName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
    const single = files.length === 1 ? files[0] : undefined;
    const purl = pypiPurl(
      pkg.name,
      pkg.version,
      single === undefined ? undefined : fileName(single.path),
    );
    const component = new Models.Component(Enums.ComponentType.Library, normalize(pkg.name), {
      version: pkg.version,
      bomRef: pypiPurl(pkg.name, pkg.version),
      purl,
    });
    const licences = new Map<string, Models.License>();
    for (const f of files) {
      const declared = input.licenses.get(f.path);
      const l = declared === undefined ? undefined : sbomLicence(declared);
      if (l !== undefined) licences.set(licenceKey(l), l);
    }
    for (const l of licences.values()) component.licenses.add(l);
    if (single !== undefined) {
      component.hashes.set(Enums.HashAlgorithm['SHA-256'], single.sha256);
      addBuiltProperties(component, single);
    } else {
      for (const f of files) {
        const child = new Models.Component(Enums.ComponentType.Library, normalize(pkg.name), {
          version: pkg.version,
          bomRef: pypiPurl(pkg.name, pkg.version, fileName(f.path)),
          purl: pypiPurl(pkg.name, pkg.version, fileName(f.path)),
        });
        child.hashes.set(Enums.HashAlgorithm['SHA-256'], f.sha256);
        addBuiltProperties(child, f);
        component.components.add(child);
      }
    }
    bom.components.add(component);
    byName.set(normalize(pkg.name), component);
  }
  for (const pkg of manifest.packages) {
    const component = byName.get(normalize(pkg.name))!;
    for (const dep of pkg.dependencies) {
      const target = byName.get(normalize(dep));
      if (target !== undefined) component.dependencies.add(target.bomRef);
    }
  }
  // The bundle depends on what was asked for (the names of the top-level requirements).
  for (const req of manifest.requirements) {
    const name = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(req)?.[1];
    const target = name === undefined ? undefined : byName.get(normalize(name));
    if (target !== undefined) root.dependencies.add(target.bomRef);
  }
  const serializer = new Serialize.JsonSerializer(
    new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6),
  );
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}
