#define BOOST_TEST_MODULE fix_gateway_dictionary
// The venue's FIX 4.4 data dictionary (spec/fix/VENUE-FIX44.xml), loaded by QuickFIX with the settings
// the venue's acceptors use, accepts the messages the venue supports and refuses everything else with
// the exception QuickFIX's session layer turns into a Reject (35=3) or a BusinessMessageReject (35=j).
#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>
#include <quickfix/Message.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

struct Field {
  int tag;
  std::string value;
};
using Fields = std::vector<Field>;

constexpr char kSoh = '\x01';
constexpr const char* kTime = "20240102-10:00:00.000";
constexpr const char* kExpire = "20240103-16:00:00";

FIX::DataDictionary load_dictionary() {
  const char* src = std::getenv("VENUE_SOURCE_DIR");
  if (src == nullptr) throw std::runtime_error("VENUE_SOURCE_DIR is not set");
  FIX::DataDictionary dd(std::string(src) + "/spec/fix/VENUE-FIX44.xml");
  // The acceptor's settings: ValidateFieldsOutOfOrder=N, ValidateFieldsHaveValues=Y,
  // ValidateUserDefinedFields=Y, AllowUnknownMsgFields=N.
  dd.checkFieldsOutOfOrder(false);
  dd.checkFieldsHaveValues(true);
  dd.checkUserDefinedFields(true);
  dd.allowUnknownMsgFields(false);
  return dd;
}

const FIX::DataDictionary& venue_dictionary() {
  static const FIX::DataDictionary dd = load_dictionary();
  return dd;
}

// A complete frame: BeginString, BodyLength and CheckSum computed, a client-to-venue header.
std::string frame(std::string_view msg_type, const Fields& body, std::string_view begin_string = "FIX.4.4") {
  std::string rest = "35=" + std::string(msg_type) + kSoh;
  const Fields header{{49, "CLIENT1"}, {56, "VENUE"}, {34, "2"}, {52, kTime}};
  for (const auto& f : header) rest += std::to_string(f.tag) + '=' + f.value + kSoh;
  for (const auto& f : body) rest += std::to_string(f.tag) + '=' + f.value + kSoh;
  std::string msg = "8=" + std::string(begin_string) + kSoh + "9=" + std::to_string(rest.size()) + kSoh + rest;
  unsigned sum = 0;
  for (const char c : msg) sum += static_cast<unsigned char>(c);
  char checksum[4];
  std::snprintf(checksum, sizeof checksum, "%03u", sum % 256);
  return msg + "10=" + checksum + kSoh;
}

Fields with(Fields fields, int tag, std::string value) {
  for (auto& f : fields) {
    if (f.tag == tag) {
      f.value = std::move(value);
      return fields;
    }
  }
  fields.push_back({tag, std::move(value)});
  return fields;
}

Fields without(Fields fields, int tag) {
  std::erase_if(fields, [tag](const Field& f) { return f.tag == tag; });
  return fields;
}

Fields append(Fields fields, const Fields& more) {
  fields.insert(fields.end(), more.begin(), more.end());
  return fields;
}

// What QuickFIX makes of a raw message: "valid", or the exception it throws and the tag it names.
std::string check(const std::string& raw, const FIX::DataDictionary& dd = venue_dictionary()) {
  const auto named = [](const char* what, int tag) { return std::string(what) + '(' + std::to_string(tag) + ')'; };
  try {
    const FIX::Message msg(raw, dd, true);  // parses, checks BodyLength and CheckSum
    dd.validate(msg);
    return "valid";
  } catch (const FIX::InvalidMessage&) {
    return "InvalidMessage";
  } catch (const FIX::UnsupportedVersion&) {
    return "UnsupportedVersion";
  } catch (const FIX::InvalidMessageType&) {
    return "InvalidMessageType";
  } catch (const FIX::RequiredTagMissing& e) {
    return named("RequiredTagMissing", e.field);
  } catch (const FIX::InvalidTagNumber& e) {
    return named("InvalidTagNumber", e.field);
  } catch (const FIX::TagNotDefinedForMessage& e) {
    return named("TagNotDefinedForMessage", e.field);
  } catch (const FIX::NoTagValue& e) {
    return named("NoTagValue", e.field);
  } catch (const FIX::IncorrectTagValue& e) {
    return named("IncorrectTagValue", e.field);
  } catch (const FIX::IncorrectDataFormat& e) {
    return named("IncorrectDataFormat", e.field);
  } catch (const FIX::RepeatedTag& e) {
    return named("RepeatedTag", e.field);
  } catch (const FIX::Exception& e) {
    return std::string("other FIX::Exception: ") + e.what();
  }
}

const Fields kNewOrder{{11, "ORD-1"}, {1, "ACC-1"}, {21, "1"},     {55, "ACME"}, {54, "1"}, {60, kTime},
                       {38, "100"},   {40, "2"},    {44, "10.25"}, {59, "0"},    {528, "A"}};

const Fields kCancel{{41, "ORD-1"}, {37, "V-42"}, {11, "CXL-1"}, {1, "ACC-1"},         {55, "ACME"},
                     {54, "1"},     {60, kTime},  {38, "100"},   {58, "client cancel"}};

const Fields kReplace{{37, "V-42"}, {41, "ORD-1"},  {11, "RPL-1"}, {1, "ACC-1"},  {21, "1"},
                      {18, "6"},    {110, "10"},    {111, "20"},   {55, "ACME"},  {54, "2"},
                      {60, kTime},  {38, "200"},    {40, "4"},     {44, "10.20"}, {99, "10.30"},
                      {59, "6"},    {126, kExpire}, {528, "P"},    {58, "amend"}, {8000, "B"}};

const Fields kStatusRequest{{37, "V-42"}, {11, "ORD-1"}, {790, "STAT-1"}, {1, "ACC-1"}, {55, "ACME"}, {54, "1"}};

const Fields kMassCancel{{11, "MC-1"}, {530, "7"}, {60, kTime}};

const Fields kLogon{{98, "0"}, {108, "30"}, {141, "Y"}, {553, "trader1"}, {554, "s3cret"}};

}  // namespace

BOOST_AUTO_TEST_SUITE(the_venue_dictionary)

BOOST_AUTO_TEST_CASE(loads_as_fix44_and_defines_exactly_the_supported_message_types) {
  const auto& dd = venue_dictionary();
  BOOST_TEST(dd.getVersion() == "FIX.4.4");
  for (const char* type : {"0", "1", "2", "3", "4", "5", "A", "D", "F", "G", "H", "q", "8", "9", "r", "j"})
    BOOST_TEST(dd.isMsgType(type), "message type " << type << " should be defined");
  for (const char* type : {"E", "R", "S", "V", "AE", "BE", "AF", "s", "AB"})
    BOOST_TEST(!dd.isMsgType(type), "message type " << type << " should not be defined");
}

BOOST_AUTO_TEST_CASE(every_reason_value_the_reject_catalogue_publishes_is_a_value_the_dictionary_allows) {
  const char* src = std::getenv("VENUE_SOURCE_DIR");
  BOOST_REQUIRE(src != nullptr);
  std::ifstream in(std::string(src) + "/spec/reject-codes.md");
  BOOST_REQUIRE_MESSAGE(in, "spec/reject-codes.md is missing");
  const auto& dd = venue_dictionary();
  const int reason_tags[] = {103, 102, 380};  // the catalogue's columns 3, 4 and 5
  int rows = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 3 || line.rfind("| ", 0) != 0 || line[2] < '0' || line[2] > '9') continue;
    std::vector<std::string> cells;
    std::stringstream row(line.substr(1));
    for (std::string cell; std::getline(row, cell, '|');) {
      const auto b = cell.find_first_not_of(' ');
      const auto e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    }
    BOOST_REQUIRE_GE(cells.size(), 5u);
    ++rows;
    for (int i = 0; i < 3; ++i) {
      const std::string& value = cells[2 + i];
      if (value == "-") continue;
      BOOST_TEST(dd.isFieldValue(reason_tags[i], value),
                 "code " << cells[0] << ": " << reason_tags[i] << "=" << value << " is not in the dictionary");
    }
  }
  BOOST_TEST(rows > 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(messages_the_venue_accepts)

BOOST_AUTO_TEST_CASE(a_limit_new_order_single_validates) { BOOST_TEST(check(frame("D", kNewOrder)) == "valid"); }

BOOST_AUTO_TEST_CASE(a_new_order_single_using_every_supported_field_validates) {
  const Fields stop_limit_gtd_post_only_iceberg{
      {11, "ORD-2"}, {1, "ACC-1"}, {21, "1"},      {18, "6"},   {110, "10"},  {111, "20"},
      {55, "ACME"},  {54, "2"},    {60, kTime},    {38, "100"}, {40, "4"},    {44, "10.25"},
      {99, "10.30"}, {59, "6"},    {126, kExpire}, {528, "W"},  {58, "note"}, {8000, "D"}};
  BOOST_TEST(check(frame("D", stop_limit_gtd_post_only_iceberg)) == "valid");
}

BOOST_AUTO_TEST_CASE(symbol_and_order_qty_are_optional_in_the_dictionary_the_gateway_checks_them) {
  BOOST_TEST(check(frame("D", without(without(kNewOrder, 55), 38))) == "valid");
  BOOST_TEST(check(frame("F", without(without(kCancel, 55), 38))) == "valid");
}

BOOST_AUTO_TEST_CASE(every_supported_order_type_and_time_in_force_validates) {
  for (const char* ord_type : {"1", "2", "3", "4"})
    BOOST_TEST(check(frame("D", with(kNewOrder, 40, ord_type))) == "valid", "OrdType " << ord_type);
  for (const char* tif : {"0", "1", "3", "4", "6"})
    BOOST_TEST(check(frame("D", with(kNewOrder, 59, tif))) == "valid", "TimeInForce " << tif);
  for (const char* capacity : {"A", "G", "I", "P", "R", "W"})
    BOOST_TEST(check(frame("D", with(kNewOrder, 528, capacity))) == "valid", "OrderCapacity " << capacity);
}

BOOST_AUTO_TEST_CASE(an_order_cancel_request_validates) { BOOST_TEST(check(frame("F", kCancel)) == "valid"); }

BOOST_AUTO_TEST_CASE(an_order_cancel_replace_request_validates) { BOOST_TEST(check(frame("G", kReplace)) == "valid"); }

BOOST_AUTO_TEST_CASE(an_order_status_request_validates) { BOOST_TEST(check(frame("H", kStatusRequest)) == "valid"); }

BOOST_AUTO_TEST_CASE(an_order_mass_cancel_request_validates_for_all_orders_and_for_one_symbol) {
  BOOST_TEST(check(frame("q", kMassCancel)) == "valid");
  const Fields one_symbol{{11, "MC-2"}, {530, "1"}, {55, "ACME"}, {54, "2"}, {1, "ACC-1"}, {60, kTime}, {58, "x"}};
  BOOST_TEST(check(frame("q", one_symbol)) == "valid");
}

BOOST_AUTO_TEST_CASE(a_logon_with_username_and_password_validates) {
  BOOST_TEST(check(frame("A", kLogon)) == "valid");
  BOOST_TEST(check(frame("A", append(kLogon, {{925, "n3w"}, {383, "8192"}, {464, "N"}}))) == "valid");
}

BOOST_AUTO_TEST_CASE(the_fix44_session_messages_validate) {
  BOOST_TEST(check(frame("0", {})) == "valid");
  BOOST_TEST(check(frame("0", {{112, "TEST-1"}})) == "valid");
  BOOST_TEST(check(frame("1", {{112, "TEST-1"}})) == "valid");
  BOOST_TEST(check(frame("2", {{7, "1"}, {16, "0"}})) == "valid");
  BOOST_TEST(check(frame("3", {{45, "7"}, {371, "54"}, {372, "D"}, {373, "5"}, {58, "bad side"}})) == "valid");
  BOOST_TEST(check(frame("4", {{123, "Y"}, {36, "10"}})) == "valid");
  BOOST_TEST(check(frame("5", {{58, "bye"}})) == "valid");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(messages_the_venue_sends)

BOOST_AUTO_TEST_CASE(execution_reports_for_an_ack_a_fill_a_reject_and_a_drop_copy_validate) {
  const Fields ack{{37, "V-42"}, {11, "ORD-1"}, {17, "E-1"}, {150, "0"}, {39, "0"},     {1, "ACC-1"},
                   {55, "ACME"}, {54, "1"},     {38, "100"}, {40, "2"},  {44, "10.25"}, {59, "0"},
                   {528, "A"},   {151, "100"},  {14, "0"},   {6, "0"},   {60, kTime},   {8000, "O"}};
  BOOST_TEST(check(frame("8", ack)) == "valid");
  const Fields fill = append(with(with(with(with(with(ack, 17, "E-2"), 150, "F"), 39, "1"), 151, "40"), 14, "60"),
                             {{32, "60"}, {31, "10.25"}, {880, "M-7"}, {851, "2"}, {527, "E-2-2"}});
  BOOST_TEST(check(frame("8", fill)) == "valid");
  BOOST_TEST(check(frame("8", with(fill, 797, "Y"))) == "valid");
  const Fields reject = append(with(with(with(ack, 150, "8"), 39, "8"), 151, "0"), {{103, "11"}, {58, "1022 x"}});
  BOOST_TEST(check(frame("8", reject)) == "valid");
  for (const char* exec_type : {"0", "4", "5", "8", "C", "D", "F", "I"})
    BOOST_TEST(check(frame("8", with(ack, 150, exec_type))) == "valid", "ExecType " << exec_type);
  for (const char* ord_status : {"0", "1", "2", "4", "8", "C"})
    BOOST_TEST(check(frame("8", with(ack, 39, ord_status))) == "valid", "OrdStatus " << ord_status);
  for (const char* reason : {"5", "8", "99"})
    BOOST_TEST(check(frame("8", append(with(ack, 150, "D"), {{378, reason}}))) == "valid", "378=" << reason);
  for (int reason = 0; reason <= 15; ++reason)
    BOOST_TEST(check(frame("8", with(reject, 103, std::to_string(reason)))) == "valid", "103=" << reason);
  BOOST_TEST(check(frame("8", with(reject, 103, "99"))) == "valid", "103=99");
  // 18 (invalid price increment) is FIX 5.0: the venue sends 99 with its code instead.
  BOOST_TEST(check(frame("8", with(reject, 103, "18"))) == "IncorrectTagValue(103)");
}

BOOST_AUTO_TEST_CASE(an_execution_type_fix44_does_not_define_is_refused) {
  const Fields ack{{37, "V-42"}, {17, "E-1"}, {150, "L"}, {39, "0"}, {54, "1"}, {151, "100"}, {14, "0"}, {6, "0"}};
  BOOST_TEST(check(frame("8", ack)) == "IncorrectTagValue(150)");
}

BOOST_AUTO_TEST_CASE(an_order_cancel_reject_validates) {
  const Fields reject{{37, "V-42"}, {11, "CXL-1"}, {41, "ORD-1"}, {39, "2"},     {1, "ACC-1"},
                      {60, kTime},  {434, "1"},    {102, "0"},    {58, "1051 x"}};
  BOOST_TEST(check(frame("9", reject)) == "valid");
  for (const char* reason : {"0", "1", "2", "3", "4", "5", "6", "99"})
    BOOST_TEST(check(frame("9", with(with(reject, 434, "2"), 102, reason))) == "valid", "102=" << reason);
}

BOOST_AUTO_TEST_CASE(an_order_mass_cancel_report_validates) {
  const Fields report{{11, "MC-1"}, {37, "V-MC-1"}, {530, "7"}, {531, "7"}, {533, "12"}, {60, kTime}};
  BOOST_TEST(check(frame("r", report)) == "valid");
  for (const char* reason : {"0", "1", "2", "3", "4", "5", "6"})
    BOOST_TEST(check(frame("r", append(with(report, 531, "0"), {{532, reason}, {58, "no"}}))) == "valid");
}

BOOST_AUTO_TEST_CASE(mass_cancel_reject_reason_99_is_not_a_fix44_char_so_the_venue_never_sends_it) {
  const Fields report{{37, "V-MC-1"}, {530, "7"}, {531, "0"}, {532, "99"}};
  BOOST_TEST(check(frame("r", report)) == "IncorrectDataFormat(532)");
}

BOOST_AUTO_TEST_CASE(a_business_message_reject_validates) {
  for (int reason = 0; reason <= 7; ++reason) {
    const Fields reject{{45, "9"}, {372, "D"}, {379, "ORD-1"}, {380, std::to_string(reason)}, {58, "2001 x"}};
    BOOST_TEST(check(frame("j", reject)) == "valid", "380=" << reason);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(messages_the_venue_refuses)

BOOST_AUTO_TEST_CASE(a_message_type_the_venue_does_not_support_is_an_invalid_message_type) {
  BOOST_TEST(check(frame("E", {{66, "L-1"}})) == "InvalidMessageType");
  BOOST_TEST(check(frame("R", {{131, "QR-1"}})) == "InvalidMessageType");
  BOOST_TEST(check(frame("ZZ", {{11, "X"}})) == "InvalidMessageType");
}

BOOST_AUTO_TEST_CASE(a_message_missing_a_required_field_names_the_field) {
  BOOST_TEST(check(frame("D", without(kNewOrder, 11))) == "RequiredTagMissing(11)");
  for (const int tag : {54, 60, 40})
    BOOST_TEST(check(frame("D", without(kNewOrder, tag))) == "RequiredTagMissing(" + std::to_string(tag) + ")");
  BOOST_TEST(check(frame("F", without(kCancel, 41))) == "RequiredTagMissing(41)");
  BOOST_TEST(check(frame("G", without(kReplace, 40))) == "RequiredTagMissing(40)");
  BOOST_TEST(check(frame("H", without(kStatusRequest, 54))) == "RequiredTagMissing(54)");
  BOOST_TEST(check(frame("q", without(kMassCancel, 530))) == "RequiredTagMissing(530)");
  BOOST_TEST(check(frame("A", without(kLogon, 108))) == "RequiredTagMissing(108)");
}

BOOST_AUTO_TEST_CASE(a_value_outside_the_supported_enums_is_an_incorrect_tag_value) {
  BOOST_TEST(check(frame("D", with(kNewOrder, 54, "7"))) == "IncorrectTagValue(54)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 54, "5"))) == "IncorrectTagValue(54)");  // sell short: FIX 4.4, not here
  BOOST_TEST(check(frame("D", with(kNewOrder, 40, "P"))) == "IncorrectTagValue(40)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 59, "2"))) == "IncorrectTagValue(59)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 528, "X"))) == "IncorrectTagValue(528)");
  BOOST_TEST(check(frame("q", with(kMassCancel, 530, "3"))) == "IncorrectTagValue(530)");
  BOOST_TEST(check(frame("A", with(kLogon, 98, "7"))) == "IncorrectTagValue(98)");
}

BOOST_AUTO_TEST_CASE(exec_inst_accepts_only_post_only_and_every_listed_value_is_checked) {
  BOOST_TEST(check(frame("D", with(kNewOrder, 18, "6"))) == "valid");
  BOOST_TEST(check(frame("D", with(kNewOrder, 18, "1"))) == "IncorrectTagValue(18)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 18, "6 G"))) == "IncorrectTagValue(18)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 18, "66"))) == "IncorrectTagValue(18)");
}

BOOST_AUTO_TEST_CASE(self_trade_prevention_tag_8000_accepts_its_four_modes_only) {
  BOOST_TEST(check(frame("D", with(kNewOrder, 8000, "O"))) == "valid");
  for (const char* mode : {"N", "O", "B", "D"})
    BOOST_TEST(check(frame("D", with(kNewOrder, 8000, mode))) == "valid", "8000=" << mode);
  BOOST_TEST(check(frame("D", with(kNewOrder, 8000, "X"))) == "IncorrectTagValue(8000)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 8000, "NO"))) == "IncorrectDataFormat(8000)");
  BOOST_TEST(check(frame("G", with(kReplace, 8000, "X"))) == "IncorrectTagValue(8000)");
  BOOST_TEST(check(frame("F", with(kCancel, 8000, "O"))) == "TagNotDefinedForMessage(8000)");
}

BOOST_AUTO_TEST_CASE(a_tag_the_dictionary_does_not_define_is_an_invalid_tag_number) {
  BOOST_TEST(check(frame("D", with(kNewOrder, 9999, "1"))) == "InvalidTagNumber(9999)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 5001, "1"))) == "InvalidTagNumber(5001)");
  // Standard FIX 4.4 fields the venue does not support are unknown to its dictionary too.
  BOOST_TEST(check(frame("D", with(kNewOrder, 48, "US0000000000"))) == "InvalidTagNumber(48)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 15, "USD"))) == "InvalidTagNumber(15)");
}

BOOST_AUTO_TEST_CASE(a_repeating_group_the_venue_does_not_support_is_refused_as_unknown_tags) {
  // QuickFIX walks the body in tag-number order, not wire order: the lowest unknown tag is the one named.
  const Fields parties{{453, "1"}, {448, "TRADER-1"}, {447, "D"}, {452, "11"}};
  BOOST_TEST(check(frame("D", append(kNewOrder, parties))) == "InvalidTagNumber(447)");
}

BOOST_AUTO_TEST_CASE(a_defined_field_in_a_message_that_does_not_carry_it_is_not_defined_for_the_message) {
  BOOST_TEST(check(frame("F", with(kCancel, 99, "10.30"))) == "TagNotDefinedForMessage(99)");
  BOOST_TEST(check(frame("F", with(kCancel, 44, "10.30"))) == "TagNotDefinedForMessage(44)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 554, "s3cret"))) == "TagNotDefinedForMessage(554)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 797, "Y"))) == "TagNotDefinedForMessage(797)");
  BOOST_TEST(check(frame("q", with(kMassCancel, 38, "5"))) == "TagNotDefinedForMessage(38)");
}

BOOST_AUTO_TEST_CASE(badly_formatted_empty_or_repeated_fields_are_refused) {
  BOOST_TEST(check(frame("D", with(kNewOrder, 44, "ten"))) == "IncorrectDataFormat(44)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 38, "1e3x"))) == "IncorrectDataFormat(38)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 60, "yesterday"))) == "IncorrectDataFormat(60)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 54, "12"))) == "IncorrectDataFormat(54)");
  BOOST_TEST(check(frame("D", with(kNewOrder, 58, ""))) == "NoTagValue(58)");
  BOOST_TEST(check(frame("D", append(kNewOrder, {{55, "OTHER"}}))) == "RepeatedTag(55)");
}

BOOST_AUTO_TEST_CASE(another_fix_version_or_a_bad_checksum_is_refused) {
  BOOST_TEST(check(frame("D", kNewOrder, "FIX.4.2")) == "UnsupportedVersion");
  std::string raw = frame("D", kNewOrder);
  raw.replace(raw.size() - 4, 3, raw.substr(raw.size() - 4, 3) == "000" ? "001" : "000");
  BOOST_TEST(check(raw) == "InvalidMessage");
}

BOOST_AUTO_TEST_CASE(unknown_user_defined_tags_slip_through_unless_check_user_defined_fields_is_on) {
  FIX::DataDictionary lax(venue_dictionary());
  lax.checkUserDefinedFields(false);
  BOOST_TEST(check(frame("D", with(kNewOrder, 9999, "1")), lax) == "valid");
  BOOST_TEST(check(frame("D", with(kNewOrder, 9999, "1"))) == "InvalidTagNumber(9999)");
}

BOOST_AUTO_TEST_SUITE_END()
