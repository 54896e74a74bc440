//! The one list of environment variables whose value makes some program run
//! code of the setter's choosing. A store other people can write (the team
//! store in a repository, issue 7) must not be able to set them in the
//! user's shell or in `yarn dev`: DESIGN "Project files are not trusted
//! blindly". The user's own config may let a name through
//! (`allow_variables` in config.toml); the user's own profiles are never
//! filtered.
//!
//! The test for a name is whether setting it, with nothing else, makes a
//! program the developer runs anyway (their shell, node, yarn, git, python,
//! ssh, a compiler, the dynamic loader) load or run something the value
//! chooses — or send their traffic, tokens included, where the value says
//! (proxies, trusted certificates, TLS checks off). Names that merely change
//! behaviour (`TZ`, `LANG`, `GIT_AUTHOR_NAME`) stay allowed.
//! Matching ignores case: Windows treats names so, and npm reads its
//! `npm_config_*` variables in either case.

/// Names refused exactly, each with why it runs code.
const NAMES: &[(&str, &str)] = &[
    // Shells.
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
    (
        "SHELLOPTS",
        "bash turns these options on at start, xtrace included",
    ),
    ("BASHOPTS", "bash turns these shopt options on at start"),
    (
        "ZDOTDIR",
        "zsh reads .zshenv and .zshrc from this directory",
    ),
    ("FPATH", "zsh autoloads functions from these directories"),
    (
        "HOME",
        "shells, git and ssh read their startup and config files from it",
    ),
    (
        "XDG_CONFIG_HOME",
        "git and many tools read config files (hooks, fsmonitor) from it",
    ),
    (
        "SHELL",
        "editors, script(1), make and terminals start this program",
    ),
    ("PATH", "chooses the program behind every command name"),
    // The dynamic loader (glibc's iconv modules are shared objects too).
    (
        "GCONV_PATH",
        "glibc loads iconv modules (shared objects) from it",
    ),
    // Language runtimes: options that load a module, or paths that shadow one.
    ("NODE_OPTIONS", "node takes --require and --import from it"),
    (
        "NODE_PATH",
        "node resolves require() from it, so a module can be shadowed",
    ),
    ("PYTHONSTARTUP", "interactive python runs this file"),
    (
        "PYTHONPATH",
        "python imports from it first, so a module can be shadowed",
    ),
    ("PYTHONHOME", "python loads its standard library from it"),
    ("PERL5OPT", "perl takes -M (load a module) from it"),
    ("PERL5LIB", "perl loads modules from it first"),
    ("PERLLIB", "perl loads modules from it first"),
    ("PERL5DB", "perl runs it as debugger code"),
    ("RUBYOPT", "ruby takes -r (require a file) from it"),
    ("RUBYLIB", "ruby loads libraries from it first"),
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
    // git, ssh and the programs tools start on the user's behalf.
    ("GIT_ASKPASS", "git runs it to ask for a password"),
    ("GIT_SSH", "git runs it instead of ssh"),
    ("GIT_SSH_COMMAND", "git runs it instead of ssh"),
    ("GIT_EXEC_PATH", "git runs its subcommands from it"),
    ("GIT_EDITOR", "git runs it to edit messages"),
    ("GIT_SEQUENCE_EDITOR", "git rebase runs it"),
    ("GIT_PAGER", "git pipes output through it"),
    ("GIT_EXTERNAL_DIFF", "git diff runs it"),
    ("GIT_PROXY_COMMAND", "git runs it to connect"),
    ("GIT_TEMPLATE_DIR", "git init and clone copy hooks from it"),
    (
        "GIT_DIR",
        "git reads config and runs hooks of the repository it names",
    ),
    ("SSH_ASKPASS", "ssh runs it to ask for a passphrase"),
    ("EDITOR", "git, crontab and many tools run it"),
    ("VISUAL", "git, crontab and many tools run it"),
    ("PAGER", "man, git and many tools pipe output through it"),
    ("MANPAGER", "man pipes output through it"),
    ("LESSOPEN", "less runs it on every file it opens"),
    ("LESSCLOSE", "less runs it on every file it closes"),
    ("BROWSER", "xdg-open, gh and others run it to open a link"),
    ("GH_EDITOR", "gh runs it to edit text"),
    ("GH_PAGER", "gh pipes output through it"),
    ("GH_BROWSER", "gh runs it to open a link"),
    ("FCEDIT", "the shell's fc runs it"),
    ("SUDO_ASKPASS", "sudo -A runs it to ask for a password"),
    (
        "GIT_COMMON_DIR",
        "git reads config and hooks from the directory it names",
    ),
    // zsh and bash completion.
    ("PROMPT", "zsh expands it like PS1"),
    ("RPROMPT", "zsh expands it like PS1"),
    ("RPS1", "zsh expands it like PS1"),
    ("RPS2", "zsh expands it like PS1"),
    (
        "XDG_DATA_DIRS",
        "bash-completion sources completion scripts from these directories",
    ),
    (
        "BASH_COMPLETION_USER_DIR",
        "bash-completion sources completion scripts from it",
    ),
    // More runtimes.
    (
        "NODE_REPL_EXTERNAL_MODULE",
        "node loads this module instead of its REPL",
    ),
    (
        "PYTHONUSERBASE",
        "python imports from its site-packages, so a module can be shadowed",
    ),
    (
        "DOTNET_STARTUP_HOOKS",
        ".NET loads these assemblies at start",
    ),
    // Compilers and make, which `yarn install` runs for native modules.
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
    ("MAKE", "node-gyp and npm run it"),
    ("MAKEFLAGS", "make takes options, such as --eval, from it"),
    ("CFLAGS", "gcc takes -wrapper (run a program) from it"),
    ("CXXFLAGS", "g++ takes -wrapper from it"),
    ("CPPFLAGS", "the preprocessor takes -wrapper from it"),
    ("LDFLAGS", "the compiler driver takes -wrapper from it"),
    ("PYTHON", "node-gyp runs it as python during yarn install"),
    ("GOFLAGS", "go takes -toolexec (run a program) from it"),
    ("GOPROXY", "go downloads modules from it"),
    ("RUSTC", "cargo runs it as the compiler"),
    ("RUSTC_WRAPPER", "cargo runs it around the compiler"),
    ("MAVEN_OPTS", "maven's JVM takes -javaagent from it"),
    ("GRADLE_OPTS", "gradle's JVM takes -javaagent from it"),
    ("JAVA_OPTS", "many java launchers pass -javaagent from it"),
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
        "HOSTALIASES",
        "the resolver maps host names through this file",
    ),
    ("UV_INDEX_URL", "uv installs Python packages from it"),
    ("UV_EXTRA_INDEX_URL", "uv installs Python packages from it"),
    ("UV_DEFAULT_INDEX", "uv installs Python packages from it"),
    ("UV_INDEX", "uv installs Python packages from it"),
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
        "NODE_TLS_REJECT_UNAUTHORIZED",
        "0 turns off node's certificate checks",
    ),
    (
        "NODE_EXTRA_CA_CERTS",
        "node trusts these certificates, so a proxy can read HTTPS",
    ),
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
    ("GIT_SSL_NO_VERIFY", "git stops checking certificates"),
    ("GIT_SSL_CAINFO", "git trusts these certificates"),
];

/// Prefixes refused, each with why every name under it runs code.
const PREFIXES: &[(&str, &str)] = &[
    (
        "LD_",
        "the dynamic loader: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT load shared objects",
    ),
    (
        "DYLD_",
        "the macOS dynamic loader: DYLD_INSERT_LIBRARIES and friends",
    ),
    (
        "GIT_CONFIG",
        "git config from the environment (GIT_CONFIG_COUNT/KEY_n/VALUE_n, GIT_CONFIG_GLOBAL) can set core.fsmonitor, core.sshCommand or hooks",
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
        "COREPACK_",
        "corepack settings, such as the registry it downloads yarn and pnpm from",
    ),
    (
        "OPENSSL_",
        "OpenSSL loads engines and providers (shared objects) named in OPENSSL_CONF and OPENSSL_MODULES",
    ),
    ("CORECLR_", ".NET loads the profiler these name"),
    (
        "CARGO_",
        "cargo settings such as CARGO_BUILD_RUSTC_WRAPPER and target runners",
    ),
    (
        "PIP_",
        "pip settings such as PIP_INDEX_URL, where packages come from",
    ),
    ("LUA_INIT", "lua runs this code (or file) at start"),
    (
        "BSCRED_",
        "bscred's own settings: where it keeps your stores, which profile, where tokens are sent to be verified",
    ),
];

/// Whether setting `name` lets the setter run code (see the module doc).
pub fn runs_code(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    NAMES.iter().any(|(n, _)| *n == upper) || PREFIXES.iter().any(|(p, _)| upper.starts_with(p))
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
        ] {
            assert!(runs_code(name), "{name}");
        }
    }

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "AUTH_GITHUB_CLIENT_ID",
            "AUTH_GITHUB_CLIENT_SECRET",
            "GITHUB_TOKEN",
            "GIT_AUTHOR_NAME",
            "ENVIRONMENT",
            "PATHNAME",
            "LANG",
            "TZ",
            "NO_PROXY",
            "UV_THREADPOOL_SIZE",
            "CCACHE_DIR_NAME_IS_NOT_CC",
            "PROMPTLY",
        ] {
            assert!(!runs_code(name), "{name}");
        }
    }

    #[test]
    fn the_list_is_in_one_case_and_says_why() {
        for (name, why) in NAMES.iter().chain(PREFIXES) {
            assert_eq!(*name, name.to_ascii_uppercase(), "{name}");
            assert!(!why.is_empty(), "{name}");
        }
    }
}
