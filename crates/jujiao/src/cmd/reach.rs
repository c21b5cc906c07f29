//! `--resolve` and `--cacert`, as curl has them: point the sources' host names at other
//! addresses (an office's staging mirror, a replica) and trust its certificate
//! authority, without editing the sources file.

use jujiao_config::Config;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Reach {
    /// Answer HOST from ADDRESS:PORT instead of DNS (repeatable): `www.gov.cn=10.0.0.5:443`
    /// or curl's `www.gov.cn:443:10.0.0.5`. Adds to `settings.resolve`.
    #[arg(long = "resolve", value_name = "HOST=ADDRESS:PORT")]
    pub resolve: Vec<String>,
    /// Also trust the certificate authority in this PEM file (repeatable). Adds to
    /// `settings.ca_certificates`.
    #[arg(long = "cacert", value_name = "FILE")]
    pub cacert: Vec<PathBuf>,
}

impl Reach {
    /// Adds the options to the loaded configuration.
    pub fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        for entry in &self.resolve {
            let pair = jujiao_config::parse_resolve(entry)
                .map_err(|m| anyhow::anyhow!("--resolve {m}"))?;
            config.settings.resolve.retain(|(h, _)| *h != pair.0);
            config.settings.resolve.push(pair);
        }
        for path in &self.cacert {
            let pem = jujiao_config::read_pem("--cacert", &path.to_string_lossy())?;
            config.settings.root_certificates.push(pem);
        }
        Ok(())
    }
}
