# bscred's installer for Windows (PowerShell 5.1 or 7).
#
#   irm https://github.com/bscred/bscred/releases/latest/download/install.ps1 | iex
#
# Downloads the release archive for Windows x64, checks it against the
# release's SHA256SUMS (refusing anything that does not match), puts
# bscred.exe in %LOCALAPPDATA%\Programs\bscred (or $env:BSCRED_INSTALL_DIR)
# and adds that directory to the user's PATH. Needs no administrator.
# $env:BSCRED_RELEASE_URL points at another release directory (tests).
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Fail([string]$Message, [string]$Hint) {
    Write-Host "bscred-install: error: $Message"
    if ($Hint) { Write-Host "bscred-install: hint: $Hint" }
    exit 1
}

$releaseUrl = if ($env:BSCRED_RELEASE_URL) { $env:BSCRED_RELEASE_URL } else {
    'https://github.com/bscred/bscred/releases/latest/download'
}
if ($releaseUrl -notmatch '^(https://|http://127\.0\.0\.1[:/]|http://localhost[:/])') {
    Fail "refusing to download from $releaseUrl" 'use an https:// address'
}
$installDir = if ($env:BSCRED_INSTALL_DIR) { $env:BSCRED_INSTALL_DIR } else {
    Join-Path $env:LOCALAPPDATA 'Programs\bscred'
}
if (-not [Environment]::Is64BitOperatingSystem) {
    Fail 'there is no bscred build for 32-bit Windows' 'build it from source: cargo install --locked bscred'
}
$target = 'x86_64-pc-windows-gnu'

$tmp = Join-Path ([IO.Path]::GetTempPath()) ("bscred-install-" + [Guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
    $sums = Join-Path $tmp 'SHA256SUMS'
    Invoke-WebRequest -UseBasicParsing -Uri "$releaseUrl/SHA256SUMS" -OutFile $sums
    $line = Get-Content $sums | Where-Object { $_ -match "^[0-9a-f]{64}  bscred-[0-9][0-9A-Za-z.+-]*-$target\.zip$" } |
        Select-Object -First 1
    if (-not $line) { Fail "the release has no archive for $target" 'build it from source: cargo install --locked bscred' }
    $want, $archive = $line -split '  ', 2
    Write-Host "bscred-install: downloading $archive"
    $zip = Join-Path $tmp $archive
    Invoke-WebRequest -UseBasicParsing -Uri "$releaseUrl/$archive" -OutFile $zip
    $got = (Get-FileHash -Algorithm SHA256 -Path $zip).Hash.ToLowerInvariant()
    if ($got -ne $want) {
        Fail "$archive does not match the release's SHA256SUMS (expected $want, got $got); nothing was installed" `
            'download again later; if it keeps failing, report it: the file may have been tampered with'
    }
    Expand-Archive -Path $zip -DestinationPath $tmp
    $exe = Join-Path (Join-Path $tmp ($archive -replace '\.zip$', '')) 'bscred.exe'
    if (-not (Test-Path $exe)) { Fail "$archive holds no bscred.exe" }
    & $exe --version | Out-Null
    if ($LASTEXITCODE -ne 0) { Fail 'the downloaded bscred.exe does not run on this machine' }
    New-Item -ItemType Directory -Force -Path $installDir | Out-Null
    Copy-Item -Force $exe (Join-Path $installDir 'bscred.exe')
    $userPath = [Environment]::GetEnvironmentVariable('Path', 'User')
    if (-not (($userPath -split ';') -contains $installDir)) {
        $newPath = if ($userPath) { "$userPath;$installDir" } else { $installDir }
        [Environment]::SetEnvironmentVariable('Path', $newPath, 'User')
        Write-Host "bscred-install: added $installDir to your PATH (open a new terminal)"
    }
    $version = & (Join-Path $installDir 'bscred.exe') --version
    Write-Host "bscred-install: installed $version into $installDir"
} finally {
    Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
}
