const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/**
 * A reference to one key of an existing Kubernetes Secret. Secret values never appear in props,
 * manifests or the chart: only the Secret's name and key do.
 */
export class SecretKeyRef {
  /** Key `key` of the Secret `name` in the release namespace. */
  public static fromSecret(name: string, key: string): SecretKeyRef {
    return new SecretKeyRef(name, key);
  }

  private constructor(/** The Secret's name. */ public readonly name: string, /** The key in the Secret. */ public readonly key: string) {
    if (!DNS_SUBDOMAIN.test(name)) {
      throw new Error(`Secret name must be a DNS subdomain (lowercase letters, digits, '-', '.'), got '${name}'`);
    }
    if (!SECRET_KEY.test(key)) {
      throw new Error(`Secret key must consist of letters, digits, '-', '_' or '.', got '${key}' in Secret '${name}'`);
    }
  }
}

/** How the generator fills a missing key. */
export enum GeneratedValue {
  /** 32 random bytes, hex encoded (URL-safe, so it can sit inside connection URLs). */
  RANDOM_HEX = 'hex',
  /** A valid Fernet key: 32 random bytes, URL-safe base64. */
  FERNET_KEY = 'fernet',
  /** A fixed, non-secret value such as the admin user name. */
  LITERAL = 'literal',
  /**
   * A password for applications with a password policy (Cornflow: upper and lower case, a digit, a special
   * character): 32 random bytes, URL-safe base64, then `-Aa1`. URL-safe, so it can sit inside connection URLs.
   */
  PASSWORD = 'password',
}

/** One key of a Secret the in-cluster generator creates when, and only when, it is missing. */
export interface GeneratedKey {
  readonly key: string;
  readonly value: GeneratedValue;
  /** For {@link GeneratedValue.LITERAL}: the value. */
  readonly literal?: string;
}

/** A Secret the in-cluster generator owns: created once, never updated, so upgrades never rotate it. */
export interface GeneratedSecret {
  readonly name: string;
  readonly keys: GeneratedKey[];
}
