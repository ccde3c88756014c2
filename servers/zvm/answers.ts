/**
 * What the simulator answers on the ZVM API, shaped as Zerto 10's published document (10.0 U6) shapes it, in
 * either dialect (see src/protocol/zvm.ts and ../../../shared/spec's ZVM-API.md):
 * - `zerto10`: camelCase; an id only in a link object (`{rel, href, type, identifier}`);
 * - `windows`: the same names in PascalCase, with `SiteIdentifier` on the local site and `AlertIdentifier` on
 *   an alert beside the link; inside a link the keys stay `href`, `identifier`, `rel`, `type`, as Zerto's
 *   Windows examples show them.
 * Every field is one the document names (`ZVM_FIELDS`); a field the simulator has nothing for is null where
 * the document lets it be. Bodies are built in camelCase and turned into the dialect at the end (`inDialect`).
 */
import type { ZvmDialect } from '../../src/protocol/zvm.ts';
import type { SimAlert } from './alerts.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Link objects, which keep their keys in both dialects. */
const links = new WeakSet<object>();

/** A ResourceLink: where the object lives, what type it is, and its identifier (the API's ids live here). */
export function link(href: string | null, type: string | null, identifier: string | null): Json {
  const l = { rel: null, href, type, identifier };
  links.add(l);
  return l;
}

/** The body in the dialect's casing: PascalCase keys for a Windows ZVM (but inside links), as built else. */
export function inDialect(body: Json, dialect: ZvmDialect): Json {
  return dialect === 'windows' ? pascalize(body) : body;
}

function pascalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(pascalize);
  if (value === null || typeof value !== 'object' || links.has(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascalize(v)]),
  );
}

/** What the answers are made from: the simulator's settings and the base URL its links point under. */
export interface SiteFacts {
  dialect: ZvmDialect;
  /** The simulator's URL without a trailing slash, for `href`s. */
  base: string;
  siteId: string;
  siteName: string;
  protectedVms: number;
  vraCount: number;
  licenseType: string;
  /** Epoch ms, or null: no expiry. */
  licenseExpiry: number | null;
}

/** The product version each dialect reports: a Zerto 10 appliance, or the last Windows ZVMs. */
export const ZVM_VERSIONS: Record<ZvmDialect, { version: string; display: string }> = {
  zerto10: { version: '10.0.30', display: '10.0 U3' },
  windows: { version: '9.7.0', display: '9.7' },
};

/** The local site's link, which an alert's `site` is too. */
export const siteLink = (f: SiteFacts): Json => link(`${f.base}/v1/localsite`, 'LocalSiteApi', f.siteId);

/** GET /v1/localsite */
export function localSite(f: SiteFacts): Json {
  const v = ZVM_VERSIONS[f.dialect];
  const common: Record<string, Json> = {
    link: siteLink(f),
    siteName: f.siteName,
    location: 'Simulated data center',
    version: v.version,
    contactEmail: 'noc@example.com',
    contactName: 'NOC',
    contactPhone: null,
    isReplicationToSelfEnabled: false,
    utcOffsetInMinutes: 0,
    siteType: 'VCenter',
    ipAddress: '127.0.0.1',
    bandwidthThrottlingInMBs: -1,
  };
  if (f.dialect === 'windows') {
    // A Windows ZVM also puts the id at the top level, and knows none of the appliance's newer fields.
    return inDialect({ siteIdentifier: f.siteId, ...common }, 'windows');
  }
  return {
    ...common,
    displayVersion: v.display,
    zvmApiVersion: '1.0',
    siteTypeVersion: null,
    platformInformation: { vCenter: { ip: '127.0.0.1' } },
    isLoginBannerEnabled: false,
    loginBanner: null,
  };
}

/** GET /v1/license */
export function license(f: SiteFacts): Json {
  return inDialect(
    {
      details: {
        licenseKey: 'SIM-0000-DEMO-LICENSE',
        licenseType: f.licenseType,
        expiryTime: f.licenseExpiry === null ? null : new Date(f.licenseExpiry).toISOString(),
        maxVms: Math.max(500, f.protectedVms),
      },
      usage: {
        sitesUsage: [{ siteIdentifier: f.siteId, siteName: f.siteName, protectedVmsCount: f.protectedVms }],
        totalVmsCount: f.protectedVms,
      },
    },
    f.dialect,
  );
}

/** One alert as GET /v1/alerts lists it. */
export function alert(f: SiteFacts, a: SimAlert): Json {
  const body: Record<string, Json> = {
    link: link(`${f.base}/v1/alerts/${encodeURIComponent(a.id)}`, 'AlertApi', a.id),
    level: a.level,
    entity: a.entity,
    isDismissed: a.dismissed,
    helpIdentifier: a.helpIdentifier,
    site: siteLink(f),
    description: a.description,
    turnedOn: new Date(a.turnedOn).toISOString(),
    affectedVpgs: a.affectedVpgs?.map((id) => link(`${f.base}/v1/vpgs/${id}`, 'VpgApi', id)) ?? null,
    affectedZorgs: a.affectedZorgs?.map((id) => link(`${f.base}/v1/zorgs/${id}`, 'ZorgApi', id)) ?? null,
    generation: a.generation,
  };
  return f.dialect === 'windows' ? inDialect({ alertIdentifier: a.id, ...body }, 'windows') : body;
}

/**
 * The first VRA's identifier. VRA identifiers are int64 in the document (a real one, 5377857665828093654,
 * is past what a JavaScript number holds exactly); the simulator's stay safe integers.
 */
const FIRST_VRA_ID = 4_503_599_627_371_001;

/**
 * GET /v1/vras. `status` is VraStatusApi, an integer enumeration whose names the document does not give;
 * 0 is "Installed" in Zerto's older help. A VRA the ZVM stopped talking to is still installed: the billing
 * disconnection shows in the disconnection alert (and in /control/state), not in an invented status.
 */
export function vras(f: SiteFacts): Json {
  return inDialect(
    Array.from({ length: f.vraCount }, (_, i) => {
      const n = String(i + 1).padStart(2, '0');
      const id = FIRST_VRA_ID + i;
      return {
        link: link(`${f.base}/v1/vras/${id}`, 'VraApi', String(id)),
        vraIdentifier: id,
        vraName: `Z-VRA-esxi-${n}.sim.local`,
        status: 0,
        upgradeStatus: 0,
        progress: 0,
        vraVersion: ZVM_VERSIONS[f.dialect].version,
        hostVersion: '8.0.2',
        vraNetworkDataApi: {
          vraIPConfigurationTypeApi: 'Static',
          vraIPAddress: `127.0.1.${i + 1}`,
          vraIPAddressRangeEnd: null,
          subnetMask: '255.255.255.0',
          defaultGateway: null,
        },
        vraGroup: 'default_group',
        memoryInGB: 3,
        datastoreName: `ds-esxi-${n}`,
        datastoreIdentifier: `${f.siteId}.datastore-${n}`,
        datastoreClusterName: null,
        datastoreClusterIdentifier: null,
        networkName: 'VM Network',
        networkIdentifier: `${f.siteId}.network-01`,
        hostIdentifier: `${f.siteId}.host-${n}`,
        hostDisplayName: `esxi-${n}.sim.local`,
        protectedCounters: { vpgs: 0, vms: 0, volumes: 0 },
        recoveryCounters: { vpgs: 0, vms: 0, volumes: 0 },
        selfProtectedVpgs: 0,
        vraAlerts: { vraAlertsStatus: 0 },
        numOfCpus: 1,
        isGhost: false,
        isVaio: false,
      };
    }),
    f.dialect,
  );
}

/**
 * A time as GET /v1/serverDateTime/… answers it: a JSON date-time string, in UTC (`Z`) or in the ZVM's own
 * zone (an offset; the simulator's is UTC, `+00:00`).
 */
export function serverTime(ms: number, offsetMinutes: number | null): Json {
  if (offsetMinutes === null) return new Date(ms).toISOString();
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** An error answer: `{ Message }` as Windows ZVMs word it, `{ message }` in the camelCase dialect. */
export const errorBody = (dialect: ZvmDialect, message: string): Json => inDialect({ message }, dialect);
