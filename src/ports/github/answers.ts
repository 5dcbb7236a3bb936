import type { Asset, Release } from '../github.js'

/** GitHub's answers as the REST API spells them, and what the port makes of them. */
export type RawRelease = {
  id: number
  tag_name: string
  target_commitish: string
  draft: boolean
  prerelease: boolean
  html_url: string
  upload_url: string
  body?: string | null
  created_at: string
}

export const toRelease = (r: RawRelease): Release => ({
  id: r.id,
  tagName: r.tag_name,
  targetCommitish: r.target_commitish,
  draft: r.draft,
  prerelease: r.prerelease,
  htmlUrl: r.html_url,
  uploadUrl: r.upload_url,
  body: r.body ?? '',
  createdAt: r.created_at,
})

export type RawAsset = {
  id: number
  name: string
  size: number
  state: string
  digest?: string | null
}

export const toAsset = (a: RawAsset): Asset => ({
  id: a.id,
  name: a.name,
  size: a.size,
  state: a.state,
  digest: a.digest ?? undefined,
})

/** The status of a failed API call, when it was an HTTP answer. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status
  return typeof status === 'number' ? status : undefined
}

/** GitHub's own message for a failed call: status, message and validation errors. */
export function gitHubMessage(error: unknown): string {
  const e = error as { status?: number; message?: string; response?: { data?: unknown } }
  const data = e.response?.data as
    { message?: string; errors?: { code?: string; field?: string; message?: string }[] } | undefined
  const details = (data?.errors ?? [])
    .map((d) => d.message ?? [d.field, d.code].filter(Boolean).join(' '))
    .join(', ')
  const message = data?.message ?? e.message ?? String(error)
  return `${e.status ? `${e.status} ` : ''}${message}${details ? ` (${details})` : ''}`
}
