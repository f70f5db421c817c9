/** saml2-js ships no types; the parts this service uses. */
declare module 'saml2-js' {
  type Callback<T extends unknown[]> = (error: Error | null, ...results: T) => void;
  export class ServiceProvider {
    constructor(options: Record<string, unknown>);
    create_login_request_url(idp: IdentityProvider, options: Record<string, unknown>, cb: Callback<[string, string]>): void;
    post_assert(idp: IdentityProvider, options: Record<string, unknown>, cb: Callback<[unknown]>): void;
  }
  export class IdentityProvider {
    constructor(options: { sso_login_url: string; sso_logout_url: string; certificates: string[] });
  }
  const saml2: { ServiceProvider: typeof ServiceProvider; IdentityProvider: typeof IdentityProvider };
  export default saml2;
}
