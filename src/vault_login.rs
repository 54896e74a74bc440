//! Where `bscred vault login` keeps the Vault token it obtained: never in
//! a plaintext file. Placeholder until the login command lands.

use crate::access::Access;
use crate::profile::Settings;
use crate::profile_name::ProfileName;
use crate::store::vault::LoginTokens;

/// The token store of profile `name`, if `vault login` made one.
pub fn stored(
    _access: &Access,
    _name: &ProfileName,
    _settings: &Settings,
) -> Option<Box<dyn LoginTokens>> {
    None
}
