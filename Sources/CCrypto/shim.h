// OpenSSL's libcrypto, for SHA-256 through the EVP digest API (Linux; macOS uses CommonCrypto).
#include <openssl/evp.h>
