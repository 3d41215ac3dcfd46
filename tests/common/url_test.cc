#include "common/url.h"

#include <string>

#include "gtest/gtest.h"

namespace krs {
namespace {

TEST(ParseUrl, FullAmqpUrl) {
  absl::StatusOr<Url> url = ParseUrl("AMQP://guest:gu%40st@rabbit.local:5672/%2F?heartbeat=5#frag");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "amqp");
  EXPECT_EQ(url->username, "guest");
  EXPECT_EQ(url->password, "gu@st");
  EXPECT_TRUE(url->has_password);
  EXPECT_EQ(url->host, "rabbit.local");
  EXPECT_EQ(url->port, 5672);
  EXPECT_EQ(url->raw_path, "/%2F");
  EXPECT_EQ(url->query, "heartbeat=5");
  EXPECT_EQ(url->fragment, "frag");
}

TEST(ParseUrl, NoUserinfoNoPortNoPath) {
  absl::StatusOr<Url> url = ParseUrl("http://rabbit");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "rabbit");
  EXPECT_EQ(url->port, 0);
  EXPECT_EQ(url->raw_path, "");
  EXPECT_TRUE(url->username.empty());
  EXPECT_FALSE(url->has_password);
}

TEST(ParseUrl, UsernameWithoutPassword) {
  absl::StatusOr<Url> url = ParseUrl("amqp://user@host");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->username, "user");
  EXPECT_FALSE(url->has_password);
}

TEST(ParseUrl, EmptyPasswordCounts) {
  absl::StatusOr<Url> url = ParseUrl("amqp://user:@host");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->has_password);
  EXPECT_EQ(url->password, "");
}

TEST(ParseUrl, UserinfoDecodedExactlyOnce) {
  absl::StatusOr<Url> url = ParseUrl("amqp://a%2520b:p%25ss%2Bx+y@host");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->username, "a%20b");
  EXPECT_EQ(url->password, "p%ss+x+y");
}

TEST(ParseUrl, LastAtEndsUserinfo) {
  absl::StatusOr<Url> url = ParseUrl("amqp://user:p@ss@host/vh");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->password, "p@ss");
  EXPECT_EQ(url->host, "host");
  EXPECT_EQ(url->raw_path, "/vh");
}

TEST(ParseUrl, Ipv6HostWithPort) {
  absl::StatusOr<Url> url = ParseUrl("http://u:p@[::1]:15672/prefix/vh");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 15672);
  EXPECT_EQ(url->raw_path, "/prefix/vh");
}

TEST(ParseUrl, Ipv6HostWithoutPort) {
  absl::StatusOr<Url> url = ParseUrl("amqp://[fe80::1]");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "fe80::1");
  EXPECT_EQ(url->port, 0);
}

TEST(ParseUrl, QueryWithoutPath) {
  absl::StatusOr<Url> url = ParseUrl("http://host:80?x=1");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->raw_path, "");
  EXPECT_EQ(url->query, "x=1");
}

TEST(ParseUrl, PathKeptAsWritten) {
  absl::StatusOr<Url> url = ParseUrl("http://host/a%2Fb/c%20d");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->raw_path, "/a%2Fb/c%20d");
}

struct InvalidUrlCase {
  const char* name;
  const char* text;
};

TEST(ParseUrl, RejectsInvalidUrls) {
  const InvalidUrlCase cases[] = {
      {"no scheme", "rabbit:5672"},
      {"empty", ""},
      {"scheme starts with digit", "1amqp://host"},
      {"port not a number", "amqp://host:abc"},
      {"port zero", "amqp://host:0"},
      {"port too large", "amqp://host:65536"},
      {"port with sign", "amqp://host:+5"},
      {"unclosed bracket", "amqp://[::1:5672"},
      {"junk after bracket", "amqp://[::1]x"},
      {"unbracketed ipv6", "amqp://::1:5672"},
      {"bad escape in username", "amqp://us%zzer:pw@host"},
  };
  for (const InvalidUrlCase& c : cases) {
    absl::StatusOr<Url> url = ParseUrl(c.text);
    EXPECT_EQ(url.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
  }
}

TEST(ParseUrl, ErrorNeverContainsPassword) {
  const char* const texts[] = {
      "amqp://user:s3cr3t%zz@host",      // bad escape in the password
      "amqp://user:s3cr3t/x@host",       // unencoded '/' turns the password into a port
      "amqp://user:s3cr3t@host:s3cr3t",  // bad port
  };
  for (const char* text : texts) {
    absl::StatusOr<Url> url = ParseUrl(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_EQ(std::string(url.status().message()).find("s3cr3t"), std::string::npos)
        << url.status();
  }
}

TEST(PercentDecode, DecodesEscapes) {
  absl::StatusOr<std::string> decoded = PercentDecode("a%20b%2Fc%2fd+e%E2%82%AC");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, "a b/c/d+e\xE2\x82\xAC");
}

TEST(PercentDecode, RejectsInvalidEscapes) {
  EXPECT_FALSE(PercentDecode("%").ok());
  EXPECT_FALSE(PercentDecode("abc%2").ok());
  EXPECT_FALSE(PercentDecode("%G0").ok());
  EXPECT_FALSE(PercentDecode("%0g").ok());
}

struct EncodeCase {
  const char* input;
  const char* expected;
};

TEST(PercentEncodePathSegment, EncodesEverythingButUnreserved) {
  const EncodeCase cases[] = {
      {"", ""},
      {"plain-Name_1.2~x", "plain-Name_1.2~x"},
      {"a b", "a%20b"},
      {"/", "%2F"},
      {"?", "%3F"},
      {"#", "%23"},
      {"+", "%2B"},
      {"%", "%25"},
      {"%2F", "%252F"},
      {"..", ".."},
      {"a&b=c;d", "a%26b%3Dc%3Bd"},
      {"\xE2\x82\xAC", "%E2%82%AC"},  // U+20AC, byte by byte
      {"\x01\xFF", "%01%FF"},
  };
  for (const EncodeCase& c : cases) {
    EXPECT_EQ(PercentEncodePathSegment(c.input), c.expected) << c.input;
  }
}

TEST(PercentEncodeQueryValue, SpaceIsPercent20) {
  EXPECT_EQ(PercentEncodeQueryValue("^orders (eu|us)+$"), "%5Eorders%20%28eu%7Cus%29%2B%24");
  EXPECT_EQ(PercentEncodeQueryValue("a&page=9"), "a%26page%3D9");
}

TEST(PercentEncodePathSegment, RoundTripsThroughDecode) {
  const std::string original = "a b/c?d#e+f%g\xC3\xA9";
  absl::StatusOr<std::string> decoded = PercentDecode(PercentEncodePathSegment(original));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, original);
}

TEST(RedactUrl, RedactsCases) {
  const EncodeCase cases[] = {
      {"amqp://guest:guest@host:5672/%2F", "amqp://guest:***@host:5672/%2F"},
      {"http://host:15672/api", "http://host:15672/api"},
      {"amqp://user@host", "amqp://user@host"},
      {"amqp://user:@host", "amqp://user:***@host"},
      {"amqp://user:p@ss@host/v", "amqp://user:***@host/v"},
      // A valid URL with '@' in its path keeps the path.
      {"http://host/api/queues/a@b", "http://host/api/queues/a@b"},
      // Unparseable: the password has an unencoded '/' or '#'.
      {"amqp://user:pa/ss@host/v", "amqp://user:***@host/v"},
      {"amqp://user:pa#ss@host", "amqp://user:***@host"},
      {"amqp://user:p%zz@host", "amqp://user:***@host"},
      // Not a URL at all.
      {"no url here", "no url here"},
      {"mail me at user@example.com", "mail me at user@example.com"},
      // Userinfo without a scheme.
      {"guest:pw@rabbit:5672", "guest:***@rabbit:5672"},
      // URLs inside a message.
      {"host \"amqp://a:b@h1\" and http://c:d@h2/x failed",
       "host \"amqp://a:***@h1\" and http://c:***@h2/x failed"},
      {"amqp://a:b@h1,amqp://c:d@h2", "amqp://a:***@h1,amqp://c:***@h2"},
  };
  for (const EncodeCase& c : cases) {
    EXPECT_EQ(RedactUrl(c.input), c.expected) << c.input;
  }
}

TEST(RedactUrl, NeverShowsPassword) {
  const char* const texts[] = {
      "amqp://u:s3cr3t-P@ss@h",
      "http://u:s3cr3t-P@ss@[::1]:1/p",
      "amqps://u:s3cr3t-P@ss/x@h:99999",
      "AMQP://u:s3cr3t-P@ss",
      "u:s3cr3t-P@ss@rabbit",
      "value \"amqp:u:s3cr3t-P@ss@rabbit\" is invalid",
  };
  for (const char* text : texts) {
    EXPECT_EQ(RedactUrl(text).find("s3cr3t"), std::string::npos) << RedactUrl(text);
  }
}

// Found by fuzz/trigger_metadata_fuzzer: RedactUrl ended a word at a single quote, so the part
// of a password after a quote was shown.
TEST(RedactUrl, QuoteInPasswordIsRedacted) {
  const char* const texts[] = {
      "http://guest:s3'cr3t-pw@rabbit:15672/%2&F",
      "invalid host URL \"http://guest:s3'cr3t-pw@rabbit:15672/%2&F\": bad escape",
      "'amqp://guest:s3'cr3t-pw@rabbit'",
  };
  for (const char* text : texts) {
    EXPECT_EQ(RedactUrl(text).find("cr3t"), std::string::npos) << RedactUrl(text);
  }
  EXPECT_EQ(RedactUrl("'amqp://a:b@h'"), "'amqp://a:***@h'");
}

// Go's net/url (and so KEDA) rejects these userinfo bytes; accepting them let RedactUrl's word
// split cut a parsed password in two.
TEST(ParseUrl, RejectsUserinfoBytesGoRejects) {
  const char* const urls[] = {
      "amqp://user:pa ss@host",   "amqp://user:pa\"ss@host", "amqp://user:pa<ss@host",
      "amqp://user:pa\tss@host", "amqp://us er:pass@host",   "amqp://user:p\xc3\xa4ss@host",
  };
  for (const char* url : urls) {
    absl::StatusOr<Url> parsed = ParseUrl(url);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(parsed.status().message().find("ss"), std::string::npos) << url;
  }
  absl::StatusOr<Url> allowed = ParseUrl("amqp://user:a-._~!$&'()*+,;=%25:@host");
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(allowed->password, "a-._~!$&'()*+,;=%:");
}

TEST(RedactSingleUrl, HidesWholePassword) {
  const EncodeCase cases[] = {
      {"amqp://u:pa ss@h/v", "amqp://u:***@h/v"},
      {"amqp://u:pa\"ss@h", "amqp://u:***@h"},
      {"amqp://u:pa/ss#x@h", "amqp://u:***@h"},
      {"amqp://user@host", "amqp://user@host"},
      {"http://host:15672/api", "http://host:15672/api"},
      {"guest:pw@rabbit", "guest:***@rabbit"},
  };
  for (const EncodeCase& c : cases) {
    EXPECT_EQ(RedactSingleUrl(c.input), c.expected) << c.input;
  }
}

}  // namespace
}  // namespace krs
