import { validateCidrs } from './database';
import { SecretKeyRef } from './secrets';

/** How the connection to an LDAP directory is protected. */
export enum LdapTransport {
  /** TLS from the first byte (`ldaps://`). */
  LDAPS = 'ldaps',
  /** Plain `ldap://` upgraded with the StartTLS extended operation before any bind. */
  START_TLS = 'starttls',
  /** Plain `ldap://`: only with `allowInsecureLdap`. */
  INSECURE = 'insecure',
}

/** Props of {@link LdapDirectory}. */
export interface LdapDirectoryProps {
  /**
   * Server URI, `ldaps://host[:port]` or `ldap://host[:port]` (the latter needs `startTls` or `allowInsecureLdap`).
   */
  readonly url: string;
  /**
   * Upgrade an `ldap://` connection with StartTLS before any bind. Not allowed with `ldaps://`.
   * @default false
   */
  readonly startTls?: boolean;
  /**
   * Allow a plain `ldap://` connection without StartTLS: bind and user passwords then cross the network in clear
   * text. A relaxation of the secure defaults: it is listed in `relaxedDefaults` and warned about.
   * @default false
   */
  readonly allowInsecureLdap?: boolean;
  /**
   * PEM CA certificate that signs the directory's certificate. The certificate is always verified.
   * @default - the system trust store of the image
   */
  readonly caCertificate?: SecretKeyRef;
  /**
   * DN of the service account that searches the directory. Without it, users bind directly and search as
   * themselves.
   * @default - none: direct bind
   */
  readonly bindDn?: string;
  /**
   * Password of `bindDn`. Required with `bindDn`.
   * @default - none
   */
  readonly bindPassword?: SecretKeyRef;
  /** Base DN under which users are searched, e.g. `ou=people,dc=example,dc=org`. */
  readonly userBase: string;
  /**
   * Attribute holding the login name.
   * @default 'uid'
   */
  readonly usernameAttribute?: string;
  /**
   * Object class of user entries (the search is `(&(objectClass=<this>)(<usernameAttribute>=<login>))`).
   * @default 'inetOrgPerson'
   */
  readonly userObjectClass?: string;
  /**
   * Attribute holding the e-mail address.
   * @default 'mail'
   */
  readonly emailAttribute?: string;
  /**
   * Attribute holding the first name.
   * @default 'givenName'
   */
  readonly firstNameAttribute?: string;
  /**
   * Attribute holding the last name.
   * @default 'sn'
   */
  readonly lastNameAttribute?: string;
  /**
   * Attribute of a user entry that lists the DNs of its groups (OpenLDAP's memberOf overlay, Active Directory).
   * Used in addition to the group search when `groupBase` is set.
   * @default 'memberOf'
   */
  readonly userGroupAttribute?: string;
  /**
   * Base DN of the groups. When set, a user's groups are also found by searching
   * `(&(objectClass=<groupObjectClass>)(<groupMemberAttribute>=<user DN>))` there, so directories without a
   * memberOf attribute work.
   * @default - none: groups come from `userGroupAttribute` only
   */
  readonly groupBase?: string;
  /**
   * Object class of group entries.
   * @default 'groupOfNames'
   */
  readonly groupObjectClass?: string;
  /**
   * Attribute of a group listing its members: a member DN (`member`, `uniqueMember`), or the login name when it is
   * `memberUid` (posixGroup).
   * @default 'member'
   */
  readonly groupMemberAttribute?: string;
  /**
   * CIDRs the directory's addresses are in: with NetworkPolicies on, the api-server may reach them on the
   * directory's port (from `url`) only.
   * @default ['0.0.0.0/0'] - any address, on that port only
   */
  readonly cidrs?: string[];
}

const ATTRIBUTE = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const URL = /^(ldaps?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:(\d{1,5}))?\/?$/;

/** A DN: `attr=value` components separated by commas (no validation of escapes, only of shape). */
function isDn(v: string): boolean {
  return /^[A-Za-z][A-Za-z0-9.-]*=[^,]+(,\s*[A-Za-z][A-Za-z0-9.-]*=[^,]+)*$/.test(v);
}

/**
 * Connection and schema settings of an LDAP directory: where it is, how TLS is used, who searches, and where
 * users and groups live. Standalone, so other LDAP consumers can share one definition; `referenceSettings()`
 * gives the conventional `LDAP_*` names.
 */
export class LdapDirectory {
  /** The directory URL (`ldaps://` or `ldap://`). */
  public readonly url: string;
  /** Host name from the URL. */
  public readonly host: string;
  /** Port from the URL (636 for ldaps, 389 for ldap by default). */
  public readonly port: number;
  /** How the connection is protected: LDAPS, StartTLS, or (relaxed) none. */
  public readonly transport: LdapTransport;
  /** The CA certificate that verifies the directory, from a Secret. */
  public readonly caCertificate?: SecretKeyRef;
  /** The DN of the service account that searches the directory. */
  public readonly bindDn?: string;
  /** The service account's password, from a Secret. */
  public readonly bindPassword?: SecretKeyRef;
  /** Where users are searched. */
  public readonly userBase: string;
  /** The attribute a login name is matched against (e.g. uid). */
  public readonly usernameAttribute: string;
  /** Object class of user entries. */
  public readonly userObjectClass: string;
  /** Attribute holding the e-mail address. */
  public readonly emailAttribute: string;
  /** Attribute holding the first name. */
  public readonly firstNameAttribute: string;
  /** Attribute holding the last name. */
  public readonly lastNameAttribute: string;
  /** Attribute of a user entry listing its groups (e.g. memberOf). */
  public readonly userGroupAttribute: string;
  /** Where groups are searched (needed by consumers that search groups, e.g. Cornflow). */
  public readonly groupBase?: string;
  /** Object class of group entries. */
  public readonly groupObjectClass: string;
  /** Attribute of a group entry listing its members. */
  public readonly groupMemberAttribute: string;
  /** CIDRs the directory's addresses are in (NetworkPolicy egress on {@link port}). */
  public readonly cidrs: string[];

  constructor(props: LdapDirectoryProps) {
    const p = 'LdapDirectory';
    const m = URL.exec(props.url ?? '');
    if (!m) {
      throw new Error(`${p}.url must be ldaps://host[:port] or ldap://host[:port], got '${props.url}'`);
    }
    const scheme = m[1];
    this.url = props.url.replace(/\/$/, '');
    this.host = m[2];
    this.port = m[4] ? Number(m[4]) : scheme === 'ldaps' ? 636 : 389;
    if (this.port < 1 || this.port > 65535) throw new Error(`${p}.url has an invalid port ${this.port}`);
    if (scheme === 'ldaps' && props.startTls) {
      throw new Error(`${p}.startTls is for ldap:// URLs, got '${props.url}' (already TLS); remove startTls`);
    }
    if (scheme === 'ldaps') this.transport = LdapTransport.LDAPS;
    else if (props.startTls) this.transport = LdapTransport.START_TLS;
    else if (props.allowInsecureLdap) this.transport = LdapTransport.INSECURE;
    else {
      throw new Error(`${p}.url '${props.url}' is plain LDAP without TLS: set startTls: true or use ldaps://`
        + ' (or set allowInsecureLdap: true to send passwords in clear text)');
    }
    if (props.caCertificate && this.transport === LdapTransport.INSECURE) {
      throw new Error(`${p}.caCertificate is unused without TLS; set startTls: true or use ldaps://`);
    }
    this.caCertificate = props.caCertificate;
    if ((props.bindDn === undefined) !== (props.bindPassword === undefined)) {
      throw new Error(`${p}.bindDn and ${p}.bindPassword go together, got only ${props.bindDn === undefined ? 'bindPassword' : 'bindDn'}; `
        + 'set both for a search account, or neither for direct binds');
    }
    if (props.bindDn !== undefined && !isDn(props.bindDn)) {
      throw new Error(`${p}.bindDn must be a DN like 'cn=airflow,ou=services,dc=example,dc=org', got '${props.bindDn}'`);
    }
    this.bindDn = props.bindDn;
    this.bindPassword = props.bindPassword;
    if (!props.userBase) {
      throw new Error(`${p}.userBase (the user search base) is required, e.g. 'ou=people,dc=example,dc=org'; `
        + 'without it logins cannot look up users, groups or names');
    }
    if (!isDn(props.userBase)) throw new Error(`${p}.userBase must be a DN like 'ou=people,dc=example,dc=org', got '${props.userBase}'`);
    this.userBase = props.userBase;
    if (props.groupBase !== undefined && !isDn(props.groupBase)) {
      throw new Error(`${p}.groupBase must be a DN like 'ou=groups,dc=example,dc=org', got '${props.groupBase}'`);
    }
    this.groupBase = props.groupBase;
    const attr = (name: string, v: string | undefined, dflt: string) => {
      const value = v ?? dflt;
      if (!ATTRIBUTE.test(value)) throw new Error(`${p}.${name} must be an LDAP attribute or class name (letters, digits, '-'), got '${value}'`);
      return value;
    };
    this.usernameAttribute = attr('usernameAttribute', props.usernameAttribute, 'uid');
    this.userObjectClass = attr('userObjectClass', props.userObjectClass, 'inetOrgPerson');
    this.emailAttribute = attr('emailAttribute', props.emailAttribute, 'mail');
    this.firstNameAttribute = attr('firstNameAttribute', props.firstNameAttribute, 'givenName');
    this.lastNameAttribute = attr('lastNameAttribute', props.lastNameAttribute, 'sn');
    this.userGroupAttribute = attr('userGroupAttribute', props.userGroupAttribute, 'memberOf');
    this.groupObjectClass = attr('groupObjectClass', props.groupObjectClass, 'groupOfNames');
    this.groupMemberAttribute = attr('groupMemberAttribute', props.groupMemberAttribute, 'member');
    this.cidrs = validateCidrs(`${p}.cidrs`, props.cidrs ?? ['0.0.0.0/0']);
    if (this.cidrs.length === 0) throw new Error(`${p}.cidrs must name at least one CIDR (the directory's addresses); omit it for any address`);
  }

  /** Whether the connection is encrypted. */
  public get tls(): boolean {
    return this.transport !== LdapTransport.INSECURE;
  }

  /**
   * The non-secret settings under their conventional `LDAP_*` names (`LDAP_HOST`, `LDAP_BIND_DN`, ...), for other
   * LDAP consumers. The bind password is not a value: read it from {@link bindPassword}.
   */
  public referenceSettings(): Record<string, string> {
    const s: Record<string, string> = {
      LDAP_HOST: this.url,
      LDAP_USE_TLS: this.transport === LdapTransport.START_TLS ? 'true' : 'false',
      LDAP_USER_BASE: this.userBase,
      LDAP_USERNAME_ATTRIBUTE: this.usernameAttribute,
      LDAP_USER_OBJECT_CLASS: this.userObjectClass,
      LDAP_EMAIL_ATTRIBUTE: this.emailAttribute,
      LDAP_FIRSTNAME_ATTRIBUTE: this.firstNameAttribute,
      LDAP_LASTNAME_ATTRIBUTE: this.lastNameAttribute,
      LDAP_USER_GROUP_ATTRIBUTE: this.userGroupAttribute,
      LDAP_GROUP_OBJECT_CLASS: this.groupObjectClass,
      LDAP_GROUP_ATTRIBUTE: this.groupMemberAttribute,
    };
    if (this.bindDn) s.LDAP_BIND_DN = this.bindDn;
    if (this.groupBase) s.LDAP_GROUP_BASE = this.groupBase;
    return s;
  }
}
