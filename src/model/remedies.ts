/** What a user does when the registry refuses the run's credentials. */
export const CREDENTIALS_REMEDY =
  'log in before this step (docker/login-action) or set registry-username and registry-password, with a token that may push to this repository; then re-run the workflow: it reuses what was verified and promotes the rest'

/** What a user does when one repository of several cannot be written: it names the repository. */
export const repositoryAccessRemedy = (repository: string): string =>
  `give the run push access to ${repository}: log in to its registry before this step (docker/login-action), or set registry-username and registry-password to an account whose token may push there (for GHCR, the package's Manage Actions access or packages: write); then re-run the workflow: it reuses what was verified and promotes the rest`
