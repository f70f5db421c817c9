/**
 * The magic-link pages: plain HTML, no script, one form, readable by screen readers (a main
 * landmark, one heading, a real button, status text in a live region).
 */
import type { Response } from 'express';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => escapes[c]!);
}

const style = `body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
main{max-width:32rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.5rem;margin-top:0}button{font-size:1.1rem;padding:.75rem 1.5rem;border:0;border-radius:6px;background:#0b5fff;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #1b1f24;outline-offset:2px}p.note{color:#555;font-size:.9rem}`;

function page(res: Response, status: number, title: string, body: string): void {
  // No framing (the button must not be clickjacked), no scripts, nothing loaded from elsewhere.
  res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'");
  res.set('X-Frame-Options', 'DENY');
  res
    .status(status)
    .type('html')
    .send(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title><style>${style}</style></head>
<body><main>
${body}
</main></body>
</html>`);
}

export function confirmPage(res: Response, input: { applicationName: string; action: string }): void {
  page(
    res,
    200,
    `Sign in to ${input.applicationName}`,
    `<h1>Sign in to ${escapeHtml(input.applicationName)}</h1>
<p>Press the button to finish signing in.</p>
<form method="post" action="${escapeHtml(input.action)}">
<button type="submit">Sign in</button>
</form>
<p class="note">Opening this page did not sign you in. If you did not ask to sign in, close it: nothing happens until the button is pressed.</p>`,
  );
}

export type LinkProblem = 'unknown' | 'used' | 'expired' | 'stale-page' | 'account' | 'next-step';

const problems: Record<LinkProblem, { status: number; title: string; text: string }> = {
  unknown: { status: 404, title: 'Link not valid', text: 'This sign-in link is not valid. Check that you opened the whole link from your email, or ask for a new one.' },
  used: { status: 410, title: 'Link already used', text: 'This sign-in link has already been used. Each link works once: ask for a new one to sign in again.' },
  expired: { status: 410, title: 'Link expired', text: 'This sign-in link has expired. Ask for a new one to sign in.' },
  'stale-page': { status: 403, title: 'Please try again', text: 'This page could not be confirmed. Open the link from your email again and press the button on that page.' },
  account: { status: 403, title: 'Sign-in not possible', text: 'This account cannot sign in right now. Contact the administrator of the application.' },
  'next-step': { status: 403, title: 'One more step', text: 'Your account needs another step to sign in (a second factor or a new password). Sign in from the application to continue.' },
};

export function problemPage(res: Response, problem: LinkProblem): void {
  const { status, title, text } = problems[problem];
  page(res, status, title, `<h1>${escapeHtml(title)}</h1>\n<p role="status">${escapeHtml(text)}</p>`);
}

export function signedInPage(res: Response, applicationName: string): void {
  page(res, 200, 'Signed in', `<h1>You are signed in</h1>\n<p role="status">You can return to ${escapeHtml(applicationName)}.</p>`);
}
