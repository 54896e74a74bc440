//! The one list of environment variables whose value makes some program run
//! code of the setter's choosing. A store other people can write (the team
//! store in a repository; a vault-backed profile) exports only the
//! names the user accepted, and this list is the floor under that: a name on
//! it is refused even when the project file declares it, unless the user's
//! own config lets it through by name (`allow_variables` in config.toml).
//! The user's own profiles are never filtered. See docs/SECURITY.md, "A
//! team store others can write", where every name is listed.
//!
//! The test for a name is whether setting it, with nothing else, makes a
//! program the developer runs anyway (their shell, node, yarn, git, python,
//! ssh, a compiler, the dynamic loader) load or run something the value
//! chooses — a file in the repository counts, since the same writer chose
//! it — send their traffic, tokens included, where the value says
//! (proxies, trusted certificates, TLS checks off), or write files outside
//! the project. Names that merely change behaviour (`TZ`, `LANG`,
//! `GIT_AUTHOR_NAME`) stay allowed. `env` output is evaluated in the
//! user's running shell, so a shell variable counts even where the shell
//! ignores it in a new process's environment (zsh's `MODULE_PATH`).
//!
//! A prefix stands for a tool's own namespace where many of its names
//! qualify and new ones keep arriving (node 22 added `NODE_COMPILE_CACHE`;
//! git's release builds read test names such as `GIT_TEST_FSMONITOR`,
//! which runs a hook on every `git status`); the few names under such a prefix that are known to
//! be harmless and that projects do set are listed in `EXCEPTIONS`. A prefix
//! is never so short that it catches an application's names (`MAIL`, not a
//! `MAIL` prefix, which would catch `MAILER_URL`).
//!
//! Matching ignores case: Windows treats names so, and npm reads its
//! `npm_config_*` variables in either case.

/// Names refused exactly, each with why it runs code.
const NAMES: &[(&str, &str)] = &[
    // Shells: files they source, prompts they expand (bash always, zsh under
    // prompt_subst, so `$(…)` in a prompt is code), hooks they run.
    (
        "BASH_ENV",
        "bash sources this file before every script it runs",
    ),
    (
        "ENV",
        "sh, dash and ksh source this file in every interactive shell",
    ),
    ("PROMPT_COMMAND", "bash runs it before every prompt"),
    ("PS0", "bash expands $(…) in prompts, so a prompt is code"),
    (
        "PS1",
        "bash and zsh expand $(…) in prompts, so a prompt is code",
    ),
    ("PS2", "prompts are expanded like PS1"),
    ("PS3", "prompts are expanded like PS1"),
    (
        "PS4",
        "bash expands it for every traced line (see SHELLOPTS)",
    ),
    ("PROMPT", "zsh expands it like PS1"),
    ("PROMPT2", "zsh expands it like PS2"),
    ("PROMPT3", "zsh expands it like PS3, for select"),
    ("PROMPT4", "zsh expands it like PS4, for every traced line"),
    ("RPROMPT", "zsh expands it like PS1"),
    ("RPROMPT2", "zsh expands it like PS2"),
    ("RPS1", "zsh expands it like PS1"),
    ("RPS2", "zsh expands it like PS2"),
    (
        "SPROMPT",
        "zsh expands it whenever it offers a spelling correction",
    ),
    (
        "PROMPT_EOL_MARK",
        "zsh expands it after output that lacks a final newline",
    ),
    (
        "SHELLOPTS",
        "bash turns these options on at start, xtrace included",
    ),
    ("BASHOPTS", "bash turns these shopt options on at start"),
    (
        "BASH_LOADABLES_PATH",
        "bash's enable -f loads builtins (shared objects) from it",
    ),
    (
        "INPUTRC",
        "readline (bash, python, psql) reads key bindings from this file, and a macro bound to Enter types and runs a command",
    ),
    (
        "ZDOTDIR",
        "zsh reads .zshenv and .zshrc from this directory",
    ),
    ("FPATH", "zsh autoloads functions from these directories"),
    (
        "MODULE_PATH",
        "zsh loads its modules (shared objects) from these directories",
    ),
    (
        "NULLCMD",
        "zsh runs it for a redirection without a command (> file)",
    ),
    (
        "READNULLCMD",
        "zsh runs it for an input redirection without a command (< file)",
    ),
    (
        "MAIL",
        "zsh checks it like MAILPATH, message after ? and all",
    ),
    (
        "MAILPATH",
        "bash and zsh expand $(…) in the message after a ? when the file changes",
    ),
    (
        "MAILCHECK",
        "how often bash and zsh run the MAIL and MAILPATH checks; 0 runs them before every prompt",
    ),
    (
        "TMOUT",
        "bash gives up on a waiting read after this many seconds, so a script's question takes its default answer, and bash and zsh close an idle shell",
    ),
    (
        "FISH_FUNCTION_PATH",
        "fish autoloads functions from these directories",
    ),
    (
        "FISH_COMPLETE_PATH",
        "fish autoloads completions, which are fish code, from these directories",
    ),
    ("FISH_USER_PATHS", "fish puts these directories before PATH"),
    ("FISH_HELP_BROWSER", "fish's help command runs it"),
    (
        "ZSH_CUSTOM",
        "oh-my-zsh sources every .zsh file, plugin and theme in it",
    ),
    (
        "ZSH_COMPDUMP",
        "oh-my-zsh has compinit source this file unchecked",
    ),
    // How the shell finds commands and directories.
    ("PATH", "chooses the program behind every command name"),
    (
        "PATHEXT",
        "Windows runs files with these extensions as programs",
    ),
    (
        "EXECIGNORE",
        "bash skips the programs it matches in PATH, so one further down (node_modules/.bin, say) runs instead",
    ),
    (
        "CDPATH",
        "cd looks for a relative directory under these first, so `cd src` can land where the value says",
    ),
    ("OLDPWD", "`cd -` goes to it"),
    (
        "SHELL",
        "editors, script(1), make and terminals start this program",
    ),
    (
        "COMSPEC",
        "Windows programs (npm scripts, node's and python's shell option) run it as the shell",
    ),
    (
        "PSMODULEPATH",
        "PowerShell autoloads modules, PSReadLine at start included, from these directories",
    ),
    // Home directories, where tools read their config (Unix, then Windows).
    (
        "HOME",
        "shells, git and ssh read their startup and config files from it",
    ),
    (
        "USERPROFILE",
        "Windows' HOME: node, npm (.npmrc), git and ssh read config from it",
    ),
    ("HOMEDRIVE", "with HOMEPATH, git's HOME on Windows"),
    ("HOMEPATH", "with HOMEDRIVE, git's HOME on Windows"),
    (
        "APPDATA",
        "Windows tools read config (pip.ini, gh) from it and npm installs global commands under it",
    ),
    (
        "LOCALAPPDATA",
        "Windows tools keep caches they trust (go-build, yarn) in it",
    ),
    // Files written outside the project: histories, logs, caches.
    (
        "HISTFILE",
        "bash and zsh write history to this file, overwriting or truncating it",
    ),
    (
        "HISTFILESIZE",
        "bash truncates its history file to this many lines",
    ),
    (
        "HISTSIZE",
        "bash keeps this many lines and, without histappend, writes back only those, so 0 empties the history file",
    ),
    (
        "SAVEHIST",
        "zsh rewrites its history file with this many lines, so 1 all but empties it",
    ),
    (
        "MYSQL_HISTFILE",
        "the mysql client writes its history to this file",
    ),
    (
        "SQLITE_HISTORY",
        "the sqlite3 shell writes its history to this file",
    ),
    (
        "REDISCLI_HISTFILE",
        "redis-cli writes its history to this file",
    ),
    ("NVIM_LOG_FILE", "neovim appends its log to this file"),
    (
        "PSMODULEANALYSISCACHEPATH",
        "PowerShell writes its module cache to this file",
    ),
    // The terminal.
    (
        "TERMINFO",
        "ncurses reads terminal entries from it first, and reset, tset and tput init run the program an entry names (iprog)",
    ),
    (
        "TERMINFO_DIRS",
        "ncurses reads terminal entries from these, with TERMINFO's consequences",
    ),
    // The dynamic loader (glibc's iconv modules are shared objects too).
    (
        "GCONV_PATH",
        "glibc loads iconv modules (shared objects) from it",
    ),
    // Language runtimes, their package and version managers: options that
    // load a module, paths that shadow one, interpreters run from a
    // directory.
    ("PERL5OPT", "perl takes -M (load a module) from it"),
    ("PERL5LIB", "perl loads modules from it first"),
    ("PERLLIB", "perl loads modules from it first"),
    ("PERL5DB", "perl runs it as debugger code"),
    (
        "PERL5SHELL",
        "perl on Windows runs system() and backticks through it",
    ),
    ("RUBYOPT", "ruby takes -r (require a file) from it"),
    ("RUBYLIB", "ruby loads libraries from it first"),
    ("RUBYPATH", "ruby -S looks for the script in it"),
    ("RUBYSHELL", "ruby on Windows runs system() through it"),
    ("IRBRC", "irb (and rails console) runs this file"),
    (
        "GEMRC",
        "RubyGems reads its settings, gem sources included, from this file",
    ),
    (
        "JAVA_TOOL_OPTIONS",
        "every JVM takes -javaagent (load code) from it",
    ),
    (
        "JDK_JAVA_OPTIONS",
        "the java launcher takes -javaagent from it",
    ),
    ("_JAVA_OPTIONS", "the JVM takes -javaagent from it"),
    (
        "CLASSPATH",
        "java loads classes from it, so a class can be shadowed",
    ),
    ("JAVA_HOME", "gradlew, mvn and sbt run $JAVA_HOME/bin/java"),
    (
        "DOTNET_STARTUP_HOOKS",
        ".NET loads these assemblies at start",
    ),
    (
        "VIRTUAL_ENV",
        "uv and poetry install into, and run python from, this environment",
    ),
    ("CONDA_PREFIX", "uv runs python from this environment"),
    (
        "PYENV_ROOT",
        "pyenv's shims run python from the versions under it",
    ),
    (
        "RBENV_ROOT",
        "rbenv's shims run ruby from the versions under it",
    ),
    ("VOLTA_HOME", "volta's shims run node, npm and yarn from it"),
    (
        "NPM_EXECPATH",
        "npm-run-all and similar runners start this file as the package manager",
    ),
    (
        "NODEJS_ORG_MIRROR",
        "node-gyp downloads the headers it compiles native modules against from it",
    ),
    (
        "IOJS_ORG_MIRROR",
        "node-gyp downloads the headers it compiles native modules against from it",
    ),
    (
        "PREFIX",
        "npm reads its global npmrc (script-shell, node-options) from under it and installs global commands into it",
    ),
    (
        "DESTDIR",
        "npm puts its global prefix, and so its global npmrc, under it; make install writes there",
    ),
    // Programs that git, ssh and other tools start on the user's behalf:
    // editors, pagers, browsers, password helpers.
    ("SSH_ASKPASS", "ssh runs it to ask for a passphrase"),
    (
        "SSH_SK_PROVIDER",
        "ssh, ssh-add and ssh-keygen load this library for security keys",
    ),
    ("SSH_SK_HELPER", "ssh runs it for security keys"),
    (
        "GNUPGHOME",
        "gpg (git commit -S) reads gpg.conf from it, which names programs to run (agent-program, photo-viewer)",
    ),
    ("SUDO_ASKPASS", "sudo -A runs it to ask for a password"),
    ("EDITOR", "git, crontab and many tools run it"),
    ("VISUAL", "git, crontab and many tools run it"),
    ("SUDO_EDITOR", "sudoedit runs it"),
    ("KUBE_EDITOR", "kubectl edit runs it"),
    ("SYSTEMD_EDITOR", "systemctl edit runs it"),
    ("GH_EDITOR", "gh runs it to edit text"),
    ("FCEDIT", "the shell's fc runs it"),
    (
        "VIMINIT",
        "vim and neovim run these commands at start, before any vimrc",
    ),
    ("GVIMINIT", "gvim runs these commands at start"),
    (
        "EXINIT",
        "vi, and vim without a vimrc, run these commands at start",
    ),
    ("VIM", "vim sources $VIM/vimrc at start"),
    (
        "VIMRUNTIME",
        "vim loads defaults.vim, plugins and filetype scripts from it",
    ),
    (
        "EMACSLOADPATH",
        "emacs loads Lisp from these directories first",
    ),
    ("PAGER", "man, git and many tools pipe output through it"),
    ("MANPAGER", "man pipes output through it"),
    (
        "MANOPT",
        "man takes options from it, such as -P (the pager) and -H (the browser)",
    ),
    (
        "MANROFFOPT",
        "man passes these to groff, whose -U lets a page run commands",
    ),
    (
        "SYSTEMD_PAGER",
        "systemctl and journalctl pipe output through it",
    ),
    (
        "SYSTEMD_LESS",
        "systemctl and journalctl give these options to less (see LESS)",
    ),
    ("AWS_PAGER", "the AWS CLI pipes output through it"),
    ("GH_PAGER", "gh pipes output through it"),
    (
        "LESS",
        "less takes options from it: -o and -O write a log file, --lesskey-src reads key bindings",
    ),
    (
        "MORE",
        "less running as more takes options from it, as from LESS",
    ),
    ("LESSOPEN", "less runs it on every file it opens"),
    ("LESSCLOSE", "less runs it on every file it closes"),
    ("LESSEDIT", "less's v command runs it"),
    ("LESSECHO", "less runs it to expand file names"),
    ("LESSGLOBALTAGS", "less -t runs it"),
    (
        "LESSMETACHARS",
        "less escapes these in the file names it hands a shell; an empty list lets a file's name run code through LESSOPEN",
    ),
    (
        "LESSMETAESCAPE",
        "less puts it before each metacharacter in the file names it hands a shell; a letter in place of \\ leaves them live",
    ),
    ("LESSHISTFILE", "less writes its history to this file"),
    ("BROWSER", "xdg-open, gh and others run it to open a link"),
    ("GH_BROWSER", "gh runs it to open a link"),
    ("KUBECTL_EXTERNAL_DIFF", "kubectl diff runs it"),
    // Compilers and build tools, which `yarn install` runs for native
    // modules.
    (
        "CC",
        "node-gyp, make and configure run it as the C compiler",
    ),
    (
        "CXX",
        "node-gyp, make and configure run it as the C++ compiler",
    ),
    ("CPP", "make and configure run it as the preprocessor"),
    ("LD", "make and configure run it as the linker"),
    ("LINK", "node-gyp's makefiles run it as the linker"),
    ("AR", "make, configure and go run it as the archiver"),
    ("AS", "make runs it as the assembler"),
    ("MAKE", "node-gyp and npm run it"),
    ("MAKEFLAGS", "make takes options, such as --eval, from it"),
    (
        "GNUMAKEFLAGS",
        "GNU make takes options, such as --eval, from it",
    ),
    ("MAKEFILES", "make reads these makefiles before any other"),
    ("CFLAGS", "gcc takes -wrapper (run a program) from it"),
    ("CXXFLAGS", "g++ takes -wrapper from it"),
    ("CPPFLAGS", "the preprocessor takes -wrapper from it"),
    ("LDFLAGS", "the compiler driver takes -wrapper from it"),
    // node-gyp's own names for the target's and the host's tools and flags.
    ("CC_TARGET", "node-gyp runs it as the C compiler"),
    ("CXX_TARGET", "node-gyp runs it as the C++ compiler"),
    ("LINK_TARGET", "node-gyp runs it as the linker"),
    ("AR_TARGET", "node-gyp runs it as the archiver"),
    ("CC_HOST", "node-gyp runs it as the host's C compiler"),
    ("CXX_HOST", "node-gyp runs it as the host's C++ compiler"),
    ("LINK_HOST", "node-gyp runs it as the host's linker"),
    ("AR_HOST", "node-gyp runs it as the host's archiver"),
    (
        "CFLAGS_HOST",
        "node-gyp passes it to gcc, -wrapper included",
    ),
    (
        "CXXFLAGS_HOST",
        "node-gyp passes it to g++, -wrapper included",
    ),
    (
        "CPPFLAGS_HOST",
        "node-gyp passes it to the preprocessor, -wrapper included",
    ),
    (
        "LDFLAGS_HOST",
        "node-gyp passes it to the linker driver, -wrapper included",
    ),
    // gcc, clang and the C toolchain around them.
    ("CONFIG_SITE", "configure scripts source this file"),
    (
        "CONFIG_SHELL",
        "configure scripts run themselves again with it",
    ),
    (
        "GCC_EXEC_PREFIX",
        "gcc runs its subprograms (cc1, as, collect2) from it",
    ),
    (
        "COMPILER_PATH",
        "gcc looks for its subprograms (as, ld) in it",
    ),
    (
        "LIBRARY_PATH",
        "the linker takes libraries from it first, so a built module loads the value's code",
    ),
    ("CPATH", "gcc and clang read headers from it first"),
    (
        "C_INCLUDE_PATH",
        "gcc and clang read C headers from it first",
    ),
    (
        "CPLUS_INCLUDE_PATH",
        "gcc and clang read C++ headers from it first",
    ),
    (
        "OBJC_INCLUDE_PATH",
        "gcc and clang read Objective-C headers from it first",
    ),
    (
        "GCC_COMPARE_DEBUG",
        "gcc takes options, -wrapper included, from it",
    ),
    (
        "DEPENDENCIES_OUTPUT",
        "gcc writes make dependencies to this file",
    ),
    (
        "SUNPRO_DEPENDENCIES",
        "gcc writes make dependencies to this file",
    ),
    (
        "CCC_OVERRIDE_OPTIONS",
        "clang edits its own command line with it, so it can add -fplugin",
    ),
    (
        "DEVELOPER_DIR",
        "macOS's /usr/bin shims (clang, make, git) run the tools of the Xcode it names",
    ),
    (
        "SDKROOT",
        "clang on macOS takes headers and libraries from this SDK",
    ),
    (
        "VCINSTALLDIR",
        "node-gyp on Windows builds with the Visual Studio it names",
    ),
    // go.
    ("GOFLAGS", "go takes -toolexec (run a program) from it"),
    ("GOPROXY", "go downloads modules from it"),
    (
        "GOROOT",
        "go runs its compiler and builds the standard library from it",
    ),
    (
        "GOPATH",
        "go builds module sources under it without checking them again, and installs programs into it",
    ),
    (
        "GOMODCACHE",
        "go builds the module sources in it without checking them again",
    ),
    (
        "GOCACHE",
        "go links compiled packages from this cache without rebuilding them",
    ),
    (
        "GOENV",
        "go reads its settings (GOFLAGS, CC, GOPROXY) from this file",
    ),
    ("GOBIN", "go install writes programs into it"),
    (
        "GOWORK",
        "go builds with the modules and replacements this workspace file names",
    ),
    (
        "GOINSECURE",
        "go fetches these modules without checking certificates",
    ),
    (
        "GOSUMDB",
        "go checks module sums against this server and key, or not at all",
    ),
    ("GOAUTH", "go runs the command it names to get credentials"),
    (
        "GOPACKAGESDRIVER",
        "gopls and other go tools run it to list packages",
    ),
    // Rust.
    ("RUSTC", "cargo runs it as the compiler"),
    ("RUSTC_WRAPPER", "cargo runs it around the compiler"),
    (
        "RUSTC_WORKSPACE_WRAPPER",
        "cargo runs it around the compiler for workspace members",
    ),
    ("RUSTDOC", "cargo doc and cargo test run it as rustdoc"),
    ("RUSTFMT", "cargo fmt runs it"),
    (
        "RUSTFLAGS",
        "cargo passes it to rustc, whose -C linker= runs a program",
    ),
    (
        "RUSTDOCFLAGS",
        "cargo passes it to rustdoc, which takes -C linker= too",
    ),
    ("CARGO", "rust-analyzer and cargo plugins run it as cargo"),
    // JVM build tools.
    ("MAVEN_OPTS", "maven's JVM takes -javaagent from it"),
    (
        "MAVEN_ARGS",
        "mvn takes arguments from it, such as an extension jar to load",
    ),
    ("GRADLE_OPTS", "gradle's JVM takes -javaagent from it"),
    ("JAVA_OPTS", "many java launchers pass -javaagent from it"),
    ("SBT_OPTS", "sbt's JVM takes -javaagent from it"),
    ("ANT_OPTS", "ant's JVM takes -javaagent from it"),
    ("GRADLE_USER_HOME", "gradle runs the init scripts in it"),
    // Tools whose config files can name programs to run.
    (
        "KUBECONFIG",
        "kubectl runs the exec credential plugins it names",
    ),
    ("AWS_CONFIG_FILE", "the AWS CLI runs its credential_process"),
    ("GH_CONFIG_DIR", "gh runs the shell aliases in its config"),
    (
        "CURL_HOME",
        "curl reads its .curlrc (proxy, upload targets) from it",
    ),
    ("WGETRC", "wget reads its settings from this file"),
    (
        "DOCKER_CONFIG",
        "docker runs the CLI plugins (compose, buildx) and credential helpers this directory holds or names",
    ),
    (
        "BUILDX_CONFIG",
        "buildx reads its builders from it, so docker build can send the build context to another host",
    ),
    (
        "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES",
        "Google's auth libraries then run the command a credentials file names",
    ),
    // Where traffic goes, and whether TLS is checked: a token in a request
    // goes wherever these say.
    (
        "HTTP_PROXY",
        "HTTP clients send requests, tokens included, through it",
    ),
    ("HTTPS_PROXY", "HTTPS clients send requests through it"),
    ("ALL_PROXY", "curl and others send requests through it"),
    ("FTP_PROXY", "clients send requests through it"),
    (
        "SSL_CERT_FILE",
        "OpenSSL-based clients trust these certificates",
    ),
    (
        "SSL_CERT_DIR",
        "OpenSSL-based clients trust these certificates",
    ),
    ("CURL_CA_BUNDLE", "curl trusts these certificates"),
    (
        "REQUESTS_CA_BUNDLE",
        "python requests trusts these certificates",
    ),
    (
        "AWS_CA_BUNDLE",
        "the AWS CLI and SDKs trust these certificates",
    ),
    (
        "SSLKEYLOGFILE",
        "curl, python and browsers write TLS session keys to this file, so recorded traffic, tokens included, can be read",
    ),
    (
        "DOCKER_HOST",
        "docker sends commands, build contexts and registry credentials to this daemon",
    ),
    (
        "DOCKER_CERT_PATH",
        "docker trusts the CA in this directory for its daemon",
    ),
    (
        "SSH_AUTH_SOCK",
        "ssh-add hands private keys to the agent at this socket, and ssh and git ask it to sign",
    ),
    (
        "LOCALDOMAIN",
        "the resolver appends this domain to short host names, so `db` can resolve to a host the value chooses",
    ),
    (
        "HOSTALIASES",
        "the resolver maps host names through this file",
    ),
    (
        "DISPLAY",
        "X11 programs (a browser, gitk, an editor) connect to this display, which may be another host that then sees and types into their windows",
    ),
];

/// Prefixes refused, each with why the names under it run code.
const PREFIXES: &[(&str, &str)] = &[
    // Shells.
    (
        "BASH_COMPLETION_",
        "bash-completion sources scripts from BASH_COMPLETION_USER_DIR, _USER_FILE and _COMPAT_DIR",
    ),
    (
        "XDG_",
        "the base directories: tools read config (git hooks, fsmonitor) from XDG_CONFIG_HOME and _DIRS, completion scripts and fish functions from XDG_DATA_HOME and _DIRS, caches they trust (go-build, pip wheels) from XDG_CACHE_HOME, write history to XDG_STATE_HOME and find sockets in XDG_RUNTIME_DIR; the other XDG_ names describe the login session, which no project sets",
    ),
    (
        "DIRENV_",
        "direnv's config (DIRENV_CONFIG can allow every .envrc) and state (DIRENV_DIFF is a change to any variable, PATH included, that direnv applies when you leave a directory)",
    ),
    // The dynamic loader.
    (
        "LD_",
        "the dynamic loader: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT load shared objects",
    ),
    (
        "DYLD_",
        "the macOS dynamic loader: DYLD_INSERT_LIBRARIES and friends",
    ),
    // Language runtimes, their package and version managers.
    (
        "NODE_",
        "node's settings: NODE_OPTIONS takes --require, NODE_PATH and NODE_REPL_EXTERNAL_MODULE load modules, NODE_COMPILE_CACHE compiled code, NODE_EXTRA_CA_CERTS and NODE_TLS_REJECT_UNAUTHORIZED decide trust, NODE_REPL_HISTORY and NODE_REDIRECT_WARNINGS are files it writes, node-gyp runs NODE_GYP_FORCE_PYTHON; node adds more in minor releases",
    ),
    (
        "NPM_CONFIG_",
        "npm and yarn config such as script-shell and node-options",
    ),
    (
        "YARN_",
        "yarn settings such as YARN_YARN_PATH, the script yarn runs instead of itself",
    ),
    (
        "PNPM_",
        "pnpm's settings (pnpm_config_*, like npm's) and PNPM_HOME, where it installs global commands",
    ),
    (
        "COREPACK_",
        "corepack settings, such as the registry it downloads yarn and pnpm from",
    ),
    (
        "NVM_",
        "nvm runs node from NVM_DIR and downloads it from NVM_NODEJS_ORG_MIRROR",
    ),
    (
        "FNM_",
        "fnm runs node from FNM_DIR and downloads it from FNM_NODE_DIST_MIRROR",
    ),
    (
        "PYTHON",
        "python's settings: PYTHONSTARTUP runs a file, PYTHONPATH, PYTHONHOME, PYTHONUSERBASE and PYTHONPLATLIBDIR choose where modules load from, PYTHONWARNINGS and PYTHONBREAKPOINT import the module they name, PYTHONPYCACHEPREFIX holds compiled modules it loads, PYTHON_HISTORY is a file it writes, keyring imports PYTHON_KEYRING_BACKEND, node-gyp runs $PYTHON",
    ),
    (
        "PIP_",
        "pip settings such as PIP_INDEX_URL, where packages come from",
    ),
    (
        "UV_",
        "uv's settings: where packages and Python come from (UV_INDEX_URL, UV_PYTHON_INSTALL_MIRROR), which python it runs (UV_PYTHON), caches it trusts and directories it writes (UV_CACHE_DIR, UV_TOOL_BIN_DIR, UV_PROJECT_ENVIRONMENT), TLS checks (UV_INSECURE_HOST)",
    ),
    (
        "GEM_",
        "RubyGems loads gems from GEM_PATH and GEM_HOME and installs into GEM_HOME",
    ),
    (
        "BUNDLE_",
        "bundler reads every setting from BUNDLE_*: BUNDLE_GEMFILE is Ruby it runs, BUNDLE_PATH where gems load from, BUNDLE_MIRROR__* where they download from",
    ),
    (
        "LUA_",
        "lua runs LUA_INIT and loads modules from LUA_PATH and LUA_CPATH (and their _5_x forms)",
    ),
    (
        "OPENSSL_",
        "OpenSSL loads engines and providers (shared objects) named in OPENSSL_CONF and OPENSSL_MODULES",
    ),
    ("CORECLR_", ".NET loads the profiler these name"),
    // git.
    (
        "GIT_",
        "git's own variables: GIT_SSH_COMMAND, GIT_ASKPASS, GIT_EDITOR, GIT_PAGER, GIT_EXTERNAL_DIFF and GIT_PROXY_COMMAND are programs it runs; GIT_DIR, GIT_COMMON_DIR, GIT_CONFIG_* and GIT_TEMPLATE_DIR bring config and hooks; GIT_EXEC_PATH holds its subcommands; GIT_INDEX_FILE, GIT_WORK_TREE and GIT_TRACE* name what it writes; GIT_SSL_* what it trusts; GIT_ALLOW_PROTOCOL lets ext:: URLs run commands; GIT_TEST_FSMONITOR runs a hook on every git status. git adds more each release, so only the harmless EXCEPTIONS pass",
    ),
    // Programs that tools start on the user's behalf.
    (
        "LESSKEY",
        "lesskey files (LESSKEY, LESSKEYIN, LESSKEY_SYSTEM, LESSKEY_CONTENT) bind keys to shell commands and can set LESSOPEN",
    ),
    (
        "PSQL",
        "psql runs PSQLRC's commands (\\! runs a shell), runs PSQL_PAGER, PSQL_WATCH_PAGER and PSQL_EDITOR, and writes PSQL_HISTORY",
    ),
    // Compilers and build tools.
    (
        "GYP_",
        "gyp, inside node-gyp, reads include.gypi, whose <!(…) runs commands, from GYP_CONFIG_DIR, writes where GYP_GENERATOR_OUTPUT says and builds with the Visual Studio GYP_MSVS_OVERRIDE_PATH names",
    ),
    (
        "CGO_",
        "go passes CGO_CFLAGS, CGO_LDFLAGS and the rest to the C compiler (-fplugin, -wrapper), and CGO_*_ALLOW lets a module's #cgo lines do the same",
    ),
    (
        "PKG_CONFIG",
        "PKG_CONFIG is a program go, meson and cmake run; PKG_CONFIG_PATH, _LIBDIR and _SYSROOT_DIR choose the .pc files whose flags reach the compiler; PKG_CONFIG_LOG is a file pkgconf writes",
    ),
    (
        "CMAKE_",
        "cmake runs CMAKE_TOOLCHAIN_FILE (CMake code) and CMAKE_<LANG>_COMPILER_LAUNCHER, and CMAKE_PREFIX_PATH chooses the package files it runs",
    ),
    (
        "CARGO_",
        "cargo settings such as CARGO_BUILD_RUSTC_WRAPPER, CARGO_ENCODED_RUSTFLAGS and target runners",
    ),
    (
        "RUSTUP_",
        "rustup runs toolchains from RUSTUP_HOME or the one RUSTUP_TOOLCHAIN names (a path included), and downloads them and itself from RUSTUP_DIST_SERVER and RUSTUP_UPDATE_ROOT",
    ),
    // Where traffic goes, and whether TLS is checked.
    (
        "GLOBAL_AGENT_",
        "global-agent, which Backstage documents for proxies, sends every node request through GLOBAL_AGENT_HTTP_PROXY",
    ),
    (
        "APP_CONFIG_",
        "Backstage lays these over app-config, so one can point an integration, and the token it sends, at another host",
    ),
    (
        "DBUS_",
        "keyring clients (libsecret, gh, bscred's own keychain) send passwords over the bus DBUS_SESSION_BUS_ADDRESS names, which may be another host (tcp:)",
    ),
    (
        "VAULT_",
        "the Vault CLI and bscred's vault-backed profiles take the server (VAULT_ADDR), the token, trusted CAs and TLS checks (VAULT_SKIP_VERIFY) from these",
    ),
    (
        "BAO_",
        "OpenBao's names for what VAULT_* sets: the server, the token, trust",
    ),
    // bscred's own settings.
    (
        "BSCRED_",
        "bscred's own settings: where it keeps your stores, which profile, where tokens are sent to be verified",
    ),
];

/// Names under a refused prefix that pass, each with why it runs nothing.
/// Only names projects set; a prefix's other harmless names stay refused,
/// since allowing one costs the user a line in config.toml and a wrong
/// allowance here costs their machine.
const EXCEPTIONS: &[(&str, &str)] = &[
    ("GIT_AUTHOR_NAME", "only the name written into commits"),
    ("GIT_AUTHOR_EMAIL", "only the address written into commits"),
    ("GIT_AUTHOR_DATE", "only the date written into commits"),
    ("GIT_COMMITTER_NAME", "only the name written into commits"),
    (
        "GIT_COMMITTER_EMAIL",
        "only the address written into commits",
    ),
    ("GIT_COMMITTER_DATE", "only the date written into commits"),
    (
        "NODE_ENV",
        "read by applications and libraries, not by node, to pick a mode",
    ),
    (
        "NODE_AUTH_TOKEN",
        "a token .npmrc files name; node does not read it",
    ),
    ("NODE_NO_WARNINGS", "only silences node's warnings"),
    ("NODE_DISABLE_COLORS", "only turns colour off"),
    ("PYTHONUNBUFFERED", "only turns output buffering off"),
    (
        "PYTHONDONTWRITEBYTECODE",
        "only stops python writing .pyc files",
    ),
    ("PYTHONUTF8", "only turns UTF-8 mode on or off"),
    (
        "PYTHONIOENCODING",
        "a codec name, looked up only among the encodings package's own modules",
    ),
    ("PYTHONHASHSEED", "only seeds string hashing"),
    (
        "UV_THREADPOOL_SIZE",
        "libuv's (node's) thread count, not a setting of the uv package manager",
    ),
    (
        "UV_USE_IO_URING",
        "libuv's (node's) choice of io_uring, not a setting of the uv package manager",
    ),
    ("CGO_ENABLED", "only turns cgo on or off"),
];

// Judged and left out, so that nobody adds them without a new reason:
// - IFS: bash, dash and zsh ignore it in a new process's environment; in
//   the running shell it only changes splitting, and `env` output escapes
//   every byte but letters, digits and _, so no IFS splits it into code.
// - GLOBIGNORE, FIGNORE, HISTCONTROL, HISTIGNORE: which names glob,
//   complete or are saved. BASH_XTRACEFD: an fd number; tracing needs
//   SHELLOPTS. TEXTDOMAINDIR: translations for bash's $"…", which almost no
//   script uses.
// - zsh's STTY: run only when assigned on a command's own line, not when
//   exported (tried). POSTEDIT, psvar: printed, not expanded.
// - fish_key_bindings: names one of fish's own functions. fish_history:
//   fish refuses anything but a plain name (tried).
// - TERM: chooses among installed entries. TERMCAP: Debian's ncurses does
//   not read it (tried).
// - TMPDIR, TMPPREFIX, GOTMPDIR, GOCOVERDIR: files there get fresh names.
// - GLIBC_TUNABLES: tunes malloc and the loader, names no file. LOCPATH,
//   NLSPATH: locale data and message catalogs, and a %n in a catalog's
//   format is refused under _FORTIFY_SOURCE. RES_OPTIONS: resolver timing.
// - MANPATH: pages are rendered in groff's safe mode (MANROFFOPT, which
//   can lift it, is refused).
// - GOTOOLCHAIN: a Go release fetched through the default proxy and checked
//   against the sum database. GOPRIVATE, GONOPROXY, GONOSUMDB: modules still
//   come from their own host over TLS. GODEBUG: runtime switches; none
//   loads code or names a host.
// - COMPOSE_FILE: a compose file, which the repository chooses anyway.
//   DOCKER_CONTEXT: one of the user's own contexts. DOCKER_TLS_VERIFY: can
//   only turn checks on.
// - GPG_TTY, PINENTRY_USER_DATA: a terminal name and a string for pinentry.
// - NO_PROXY: can only send fewer requests through a proxy.
// - CCACHE_*: read only where the user set ccache up.

/// Whether setting `name` lets the setter run code (see the module doc).
pub fn runs_code(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let named = NAMES.iter().any(|(n, _)| *n == upper);
    let excepted = EXCEPTIONS.iter().any(|(n, _)| *n == upper);
    let prefixed = PREFIXES.iter().any(|(p, _)| upper.starts_with(p));
    named || (prefixed && !excepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_the_issue_lists_are_refused() {
        for name in [
            "BASH_ENV",
            "ENV",
            "PROMPT_COMMAND",
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "DYLD_INSERT_LIBRARIES",
            "NODE_OPTIONS",
            "PYTHONSTARTUP",
            "PATH",
            "GIT_SSH_COMMAND",
            "GIT_CONFIG_COUNT",
            "GIT_CONFIG_KEY_0",
            "npm_config_script_shell",
            "path",
            "YARN_YARN_PATH",
            "COREPACK_NPM_REGISTRY",
            "BSCRED_GITHUB_API_URL",
            "BSCRED_GITHUB_URL",
            "BSCRED_HOME",
            "https_proxy",
            "NODE_TLS_REJECT_UNAUTHORIZED",
            "OPENSSL_CONF",
            "CC",
            "PROMPT",
            "GOFLAGS",
            "CFLAGS",
            "KUBECONFIG",
            "PIP_INDEX_URL",
            "CARGO_BUILD_RUSTC_WRAPPER",
            "LUA_INIT_5_4",
            // Seen working as attacks.
            "MAILPATH",
            "MAILCHECK",
            "MAIL",
            "PROMPT2",
            "PROMPT3",
            "PROMPT4",
            "SPROMPT",
            "RPROMPT2",
            "PROMPT_EOL_MARK",
            "fish_function_path",
            "fish_complete_path",
            "fish_user_paths",
            "HISTFILE",
            "HISTFILESIZE",
            "HISTSIZE",
            "SAVEHIST",
            "TMOUT",
            "CDPATH",
            "RUSTFLAGS",
            "RUSTDOCFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "VAULT_ADDR",
            "VAULT_TOKEN",
            "BAO_ADDR",
            // One of each family the systematic pass added.
            "INPUTRC",
            "MODULE_PATH",
            "READNULLCMD",
            "TERMINFO",
            "ZSH_CUSTOM",
            "EXECIGNORE",
            "USERPROFILE",
            "PSModulePath",
            "BASH_COMPLETION_USER_FILE",
            "XDG_CACHE_HOME",
            "DIRENV_DIFF",
            "GIT_TEST_FSMONITOR",
            "GIT_INDEX_FILE",
            "GIT_TRACE2_EVENT",
            "GIT_ALLOW_PROTOCOL",
            "NODE_COMPILE_CACHE",
            "NODE_REDIRECT_WARNINGS",
            "PYTHONWARNINGS",
            "PYTHON_KEYRING_BACKEND",
            "UV_PYTHON",
            "pnpm_config_registry",
            "NVM_DIR",
            "FNM_NODE_DIST_MIRROR",
            "GEM_PATH",
            "BUNDLE_GEMFILE",
            "LUA_CPATH",
            "VIRTUAL_ENV",
            "GLOBAL_AGENT_HTTP_PROXY",
            "APP_CONFIG_integrations_github_0_apiBaseUrl",
            "CGO_LDFLAGS",
            "PKG_CONFIG_PATH",
            "CMAKE_TOOLCHAIN_FILE",
            "RUSTUP_TOOLCHAIN",
            "GCC_EXEC_PREFIX",
            "GCC_COMPARE_DEBUG",
            "CPATH",
            "MAKEFILES",
            "CC_target",
            "GYP_CONFIG_DIR",
            "DEVELOPER_DIR",
            "PREFIX",
            "GOPATH",
            "GOAUTH",
            "JAVA_HOME",
            "GNUPGHOME",
            "SSH_SK_PROVIDER",
            "VIMINIT",
            "LESS",
            "LESSKEYIN",
            "PSQLRC",
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "DBUS_SESSION_BUS_ADDRESS",
            "SSLKEYLOGFILE",
            "SSH_AUTH_SOCK",
            "DISPLAY",
        ] {
            assert!(runs_code(name), "{name}");
        }
    }

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "AUTH_GITHUB_CLIENT_ID",
            "AUTH_GITHUB_CLIENT_SECRET",
            "AUTH_GOOGLE_CLIENT_ID",
            "GITHUB_TOKEN",
            "GITHUB_USERNAME",
            "GITLAB_TOKEN",
            "GIT_AUTHOR_NAME",
            "GIT_COMMITTER_EMAIL",
            "USER_EMAIL",
            "USER_DISPLAY_NAME",
            "ENVIRONMENT",
            "PATHNAME",
            "HOMEPAGE_URL",
            "LANG",
            "TZ",
            "NODE_ENV",
            "NODE_AUTH_TOKEN",
            "NPM_TOKEN",
            "LOG_LEVEL",
            "DATABASE_URL",
            "POSTGRES_HOST",
            "POSTGRES_PASSWORD",
            "BACKEND_SECRET",
            "APP_BASE_URL",
            "PORT",
            "MAILER_URL",
            "MAIL_FROM",
            "LDAP_URL",
            "GOOGLE_CLIENT_ID",
            "GEMINI_API_KEY",
            "PIPELINE_ID",
            "LINKEDIN_CLIENT_ID",
            "SSH_PRIVATE_KEY",
            "DISPLAY_NAME",
            "HISTORY_API_URL",
            "NO_PROXY",
            "UV_THREADPOOL_SIZE",
            "PYTHONUNBUFFERED",
            "CGO_ENABLED",
            "CCACHE_DIR_NAME_IS_NOT_CC",
            "PROMPTLY",
        ] {
            assert!(!runs_code(name), "{name}");
        }
    }

    #[test]
    fn the_list_is_in_one_case_and_says_why() {
        for (name, why) in NAMES.iter().chain(PREFIXES).chain(EXCEPTIONS) {
            assert_eq!(*name, name.to_ascii_uppercase(), "{name}");
            assert!(!why.is_empty(), "{name}");
        }
    }

    /// Each entry does one job: a name already under a prefix belongs in
    /// the prefix's reason, and an exception must lift a prefix, never an
    /// exact name.
    #[test]
    fn no_entry_is_listed_twice_or_excepts_nothing() {
        let under_prefix = |name: &str| PREFIXES.iter().any(|(p, _)| name.starts_with(p));
        for (i, (name, _)) in NAMES.iter().enumerate() {
            assert!(!under_prefix(name), "{name} is already under a prefix");
            assert!(
                !NAMES[i + 1..].iter().any(|(n, _)| n == name),
                "{name} twice"
            );
        }
        for (name, _) in EXCEPTIONS {
            assert!(under_prefix(name), "{name} excepts no prefix");
            assert!(
                !NAMES.iter().any(|(n, _)| n == name),
                "{name} is refused by name"
            );
        }
        for (i, (prefix, _)) in PREFIXES.iter().enumerate() {
            assert!(
                !PREFIXES
                    .iter()
                    .enumerate()
                    .any(|(j, (p, _))| i != j && prefix.starts_with(p)),
                "{prefix} is under another prefix"
            );
        }
    }
}
