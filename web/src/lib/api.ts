// The HTTP API (cloud/openapi.yaml) as the pages use it: same origin, the session in HttpOnly
// cookies, and the double-submit CSRF token (the hw_csrf cookie repeated in X-CSRF-Token) on
// every write. The browser never holds an API key.

export interface FieldError {
  field: string;
  message: string;
}

// A refusal as the server phrased it (application/problem+json), or a network failure (status 0).
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly retryAfterS: number | null = null,
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail || title);
  }
}

function cookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return null;
}

// The CSRF token: the cookie, or (first visit) the one a screen route hands out with it.
async function csrfToken(): Promise<string> {
  const have = cookie("hw_csrf");
  if (have) return have;
  const screen = await request<{ csrf_token: string }>("GET", "/api/v1/eservice/login");
  return screen.csrf_token;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = await csrfToken();
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? (method === "GET" ? undefined : "{}") : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, "network", String(e));
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  if (text) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = {};
    }
  }
  if (!response.ok) {
    const retry = response.headers.get("Retry-After");
    throw new ApiError(
      response.status,
      typeof json.title === "string" ? json.title : response.statusText,
      typeof json.detail === "string" ? json.detail : "",
      Array.isArray(json.errors) ? (json.errors as FieldError[]) : [],
      retry && /^\d+$/.test(retry) ? Number(retry) : null,
      json,
    );
  }
  return json as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, body),
};
