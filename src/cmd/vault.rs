//! `bscred vault login`: get a Vault token for a vault-backed profile with
//! a user name and password (userpass) or a role and secret ID (AppRole,
//! for CI), and keep it encrypted to the user's own key, never in a
//! plaintext file such as Vault's `~/.vault-token`.

use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::prompt;
use crate::store::Backend;
use crate::store::vault_login::{LoginRecord, expiry};

/// Log in to the Vault/OpenBao server of a vault-backed profile
///
/// The token the server issues is kept encrypted to your own key and used
/// when VAULT_TOKEN and BAO_TOKEN are unset (they come first; Vault's token
/// helper file comes after). A renewable token is renewed when less than
/// half of its lease is left; `status` shows when it expires, and `env` and
/// `exec` remind you before it does. Passwords and secret IDs come from a
/// hidden prompt or stdin, never the command line.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred vault login --method userpass --username alice\n  \
    printf %s \"$VAULT_SECRET_ID\" | bscred -p ci vault login --method approle --role-id \"$ROLE_ID\" --secret-id-stdin")]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Get a token with userpass or AppRole and keep it encrypted
    ///
    /// The login goes to the profile's own addresses (those given at
    /// `init`). The token is kept encrypted to your own key, never in a
    /// plaintext file, and used when VAULT_TOKEN and BAO_TOKEN are unset;
    /// it is renewed when less than half of its lease is left, `status`
    /// shows when it expires, and `env` and `exec` remind you before it
    /// expires for good. The password or secret ID comes from a hidden
    /// prompt or stdin, never the command line.
    #[command(after_help = "Examples:\n  \
        bscred vault login --method userpass --username alice\n  \
        printf %s \"$SECRET_ID\" | bscred -p ci vault login --method approle --role-id \"$ROLE_ID\" --secret-id-stdin")]
    Login(LoginArgs),
}

#[derive(Debug, clap::Args)]
struct LoginArgs {
    /// How to log in
    #[arg(long, value_enum)]
    method: Method,

    /// Where the auth method is mounted [default: the method's name]
    #[arg(long, value_name = "PATH")]
    mount: Option<String>,

    /// userpass: the user name
    #[arg(long, value_name = "NAME")]
    username: Option<String>,

    /// userpass: read the password from stdin instead of a hidden prompt
    #[arg(long)]
    password_stdin: bool,

    /// AppRole: the role ID (not a secret; the secret ID is)
    #[arg(long, value_name = "ID")]
    role_id: Option<String>,

    /// AppRole: read the secret ID from stdin instead of a hidden prompt
    #[arg(long)]
    secret_id_stdin: bool,
}

/// The auth methods `vault login` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Method {
    /// A user name and password
    Userpass,
    /// A role ID and secret ID (CI and other machines)
    Approle,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    match args.action {
        Action::Login(args) => login(ctx, args),
    }
}

fn login(ctx: &Context, args: LoginArgs) -> Result<Exit> {
    let profile = ctx.open_profile()?;
    if profile.settings.backend != Backend::Vault {
        return Err(Error::usage(
            format!(
                "profile '{}' uses the {} backend, which needs no Vault token",
                profile.name, profile.settings.backend
            ),
            "name a vault-backed profile with -p NAME",
        ));
    }
    let store = profile
        .vault_store()
        .expect("a vault profile has a vault store");
    let login = store.login_store().ok_or_else(|| {
        Error::usage(
            format!(
                "profile '{}' has no key of your own to encrypt a token to",
                profile.name
            ),
            "run `bscred init --backend vault …` again for this profile",
        )
    })?;
    let (method, mismatched) = match args.method {
        Method::Userpass => ("userpass", args.role_id.is_some() || args.secret_id_stdin),
        Method::Approle => ("approle", args.username.is_some() || args.password_stdin),
    };
    if mismatched {
        return Err(Error::usage(
            format!("those options are not for --method {method}"),
            "userpass takes --username and --password-stdin; approle takes --role-id and --secret-id-stdin",
        ));
    }
    let mount = args.mount.as_deref().unwrap_or(method).trim_matches('/');
    segment(mount, "--mount")?;
    let (api_path, who, body) = match args.method {
        Method::Userpass => {
            let user = args
                .username
                .as_deref()
                .ok_or_else(|| Error::usage("userpass needs --username", "add --username NAME"))?;
            segment(user, "--username")?;
            let password = secret_input(args.password_stdin, "Password", "--password-stdin")?;
            let body = json_body(&[("password", password.expose_secret())]);
            (format!("auth/{mount}/login/{user}"), user.to_string(), body)
        }
        Method::Approle => {
            let role = args
                .role_id
                .as_deref()
                .ok_or_else(|| Error::usage("approle needs --role-id", "add --role-id ID"))?;
            let secret = secret_input(args.secret_id_stdin, "Secret ID", "--secret-id-stdin")?;
            let body = json_body(&[("role_id", role), ("secret_id", secret.expose_secret())]);
            (format!("auth/{mount}/login"), role.to_string(), body)
        }
    };
    let client = store.login_client()?;
    let (token, facts) = client.login(&api_path, &body)?;
    let now = store.now();
    let record = LoginRecord {
        method: method.to_string(),
        who,
        renewed_at: now,
        expires_at: expiry(now, facts.lease_duration),
        renewable: facts.renewable,
        ttl_seconds: facts.lease_duration,
    };
    login.save(&token, &record, now)?;
    let expires = match (record.expires_at, record.renewable) {
        (None, _) => record.describe(now),
        (Some(_), true) => format!(
            "{}, renewed when less than half of it is left",
            record.describe(now)
        ),
        (Some(_), false) => format!(
            "{}, not renewable: log in again before then",
            record.describe(now)
        ),
    };
    ctx.note(format!(
        "logged in to {} with {method} as {}; the token {expires}; kept encrypted in {}",
        profile.info().location,
        record.who,
        login.token_path().display()
    ));
    if store.token_from_environment() {
        ctx.warn("VAULT_TOKEN or BAO_TOKEN is set and comes first; unset it to use this login");
    }
    Ok(Exit::Ok)
}

/// A password or secret ID: from stdin (all of it, minus one trailing
/// newline) or a hidden prompt, never argv.
fn secret_input(stdin: bool, what: &str, flag: &str) -> Result<SecretString> {
    let text: Zeroizing<String> = if stdin {
        let bytes = prompt::read_stdin().map_err(Error::io("cannot read standard input"))?;
        let mut text = Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(|_| {
            Error::usage(
                format!("the {what} on stdin is not UTF-8"),
                "check what is piped in",
            )
        })?);
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        text
    } else if prompt::stdin_is_terminal() {
        prompt::hidden(&format!("{what} (input hidden): "))?
    } else {
        return Err(Error::usage(
            format!("no {what} given, and stdin is not a terminal to prompt on"),
            format!("pipe it in with {flag}"),
        ));
    };
    if text.is_empty() {
        return Err(Error::usage(
            format!("the {what} is empty"),
            format!("give it at the prompt or with {flag}"),
        ));
    }
    Ok(SecretString::from(text.to_string()))
}

/// A JSON object of string fields, in a buffer wiped when dropped.
fn json_body(fields: &[(&str, &str)]) -> Zeroizing<Vec<u8>> {
    let map: std::collections::BTreeMap<&str, &str> = fields.iter().copied().collect();
    let mut body = Zeroizing::new(Vec::with_capacity(256));
    serde_json::to_writer(&mut *body, &map).unwrap_or_else(|_| unreachable!("strings serialise"));
    body
}

/// Refuses a user name or mount that would change the request's URL.
fn segment(text: &str, flag: &str) -> Result<()> {
    let ok = !text.is_empty()
        && text
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+' | '/'));
    if ok && (flag == "--mount" || !text.contains('/')) {
        return Ok(());
    }
    Err(Error::usage(
        format!("{flag} has characters a Vault path cannot take"),
        "use letters, digits and - _ . @ +",
    ))
}
