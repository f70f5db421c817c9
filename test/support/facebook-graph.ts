/**
 * A local stand-in for Facebook's Graph API: `/oauth/access_token` (code exchange and long-lived
 * token), `/me` (honouring `fields`) and `/me/picture`, answering Facebook's error body
 * (`{"error":{"message","type":"OAuthException","code":190,"fbtrace_id"}}`) for unknown tokens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FacebookAccount {
  id: string;
  email?: string;
  name?: string;
  first_name?: string;
}

export class FacebookGraphStandIn {
  url = '';
  /** Every request, for assertions on what was called with what. */
  readonly calls: { path: string; query: Record<string, string> }[] = [];
  private readonly tokens = new Map<string, FacebookAccount>();
  private readonly codes = new Map<string, { account: FacebookAccount; redirectUri: string }>();
  private server?: Server;
  constructor(readonly appId: string, readonly appSecret: string) {}

  /** A short-lived user token for this account (what the JS SDK gives a browser). */
  issueToken(account: FacebookAccount): string {
    const token = `EAA${crypto.randomUUID().replace(/-/g, '')}`;
    this.tokens.set(token, account);
    return token;
  }

  issueCode(account: FacebookAccount, redirectUri: string): string {
    const code = `code-${crypto.randomUUID()}`;
    this.codes.set(code, { account, redirectUri });
    return code;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const query = Object.fromEntries(url.searchParams);
      this.calls.push({ path: url.pathname, query });
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const oauthError = (message: string, code = 190) => send(400, { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEf123' } });
      const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
      if (path === '/oauth/access_token') {
        if (query.client_id !== this.appId || query.client_secret !== this.appSecret) return oauthError('Error validating client secret.', 1);
        if (query.grant_type === 'fb_exchange_token') {
          const account = this.tokens.get(query.fb_exchange_token ?? '');
          if (!account) return oauthError('Invalid OAuth access token - Cannot parse access token');
          const longLived = `LL${crypto.randomUUID().replace(/-/g, '')}`;
          this.tokens.set(longLived, account);
          return send(200, { access_token: longLived, token_type: 'bearer', expires_in: 5_183_944 });
        }
        const grant = this.codes.get(query.code ?? '');
        if (!grant || grant.redirectUri !== query.redirect_uri) return oauthError('Invalid verification code format.', 100);
        this.codes.delete(query.code!);
        return send(200, { access_token: this.issueToken(grant.account), token_type: 'bearer', expires_in: 3600 });
      }
      const account = this.tokens.get(query.access_token ?? '');
      if (!account) return oauthError('Invalid OAuth access token - Cannot parse access token');
      if (path === '/me') {
        const fields = (query.fields ?? 'id,name').split(',');
        const body: Record<string, unknown> = { id: account.id };
        for (const field of fields) {
          if (field === 'picture') body.picture = { data: { url: `https://graph.example.test/${account.id}/inline.jpg`, is_silhouette: false } };
          else if (field in account) body[field] = account[field as keyof FacebookAccount];
        }
        return send(200, body);
      }
      if (path === '/me/picture') return send(200, { data: { url: `https://graph.example.test/${account.id}/large.jpg`, is_silhouette: false, height: 200, width: 200 } });
      return oauthError(`Unknown path components: ${path}`, 2500);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
