/** The workflow_run payload GitHub sends after the CI workflow ran on a commit (a successful push to main unless changed). */
export function workflowRunPayload(
  headSha: string,
  run: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    action: 'completed',
    repository: { full_name: 'acme/app', default_branch: 'main' },
    workflow_run: {
      name: 'CI',
      conclusion: 'success',
      event: 'push',
      head_branch: 'main',
      head_sha: headSha,
      head_repository: { full_name: 'acme/app' },
      ...run,
    },
  }
}
