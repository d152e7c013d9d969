// check_tls: unusable TLS files are refused before CAF would load them.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "parallel/remote/config.hpp"

namespace remote = parallel::remote;

namespace {

std::string cert(const std::string& name) {
  return std::string{TEST_CERTS_DIR} + "/" + name;
}

bool certs_available() {
  return std::ifstream{cert("client.pem")}.good();
}

std::string check(const std::string& certificate, const std::string& key,
                  const std::string& ca) {
  return parallel::message(remote::check_tls({certificate, key, ca, {}}));
}

} // namespace

TEST_CASE("check_tls: usable files pass and unusable ones are named") {
  if (!certs_available()) {
    WARN("no test certificates (openssl missing?): skipped");
    return;
  }
  CHECK(!remote::check_tls({cert("node.pem"), cert("node.key"), cert("ca.pem"), {}}));
  SECTION("a key given as the certificate") {
    CHECK_THAT(check(cert("node.key"), cert("node.key"), cert("ca.pem")),
               Catch::Contains("TLS certificate " + cert("node.key"))
                 && Catch::Contains("is not a usable PEM certificate"));
  }
  SECTION("a certificate given as the key") {
    CHECK_THAT(check(cert("node.pem"), cert("node.pem"), cert("ca.pem")),
               Catch::Contains("TLS key " + cert("node.pem"))
                 && Catch::Contains("is not a usable PEM private key"));
  }
  SECTION("a key that belongs to another certificate") {
    CHECK(check(cert("node.pem"), cert("client.key"), cert("ca.pem"))
          == "TLS key " + cert("client.key") + " does not match the certificate "
               + cert("node.pem"));
  }
  SECTION("a CA file without a certificate") {
    CHECK_THAT(check(cert("node.pem"), cert("node.key"), cert("ca.key")),
               Catch::Contains("TLS CA file " + cert("ca.key"))
                 && Catch::Contains("holds no usable PEM certificate"));
  }
}
