"""The messages of the import: about the form of official lists, which are Chinese documents.

They are written in Chinese directly: they quote Chinese headers and values of a Chinese file,
and the bureau's staff read them whatever language the admin is shown in.
"""

ROW_CELL = "第 {row} 行「{header}」：{message}"
ROW = "第 {row} 行：{message}"

USCC = {
    "length": "统一社会信用代码应为 18 位",
    "characters": "统一社会信用代码含有不允许的字符（只允许数字和除 I、O、S、V、Z 以外的大写字母）",
    "check": "校验位错误",
}
REQUIRED = "不能为空"
TOO_LONG = "超过 {limit} 个字符"
DATE = "日期格式错误，应为日期单元格或 YYYY-MM-DD"
AMOUNT = "金额格式错误，应为以万元为单位的数字，最多 6 位小数"
AMOUNT_TOO_LARGE = "金额过大"
NEGATIVE = "不能为负数"
INTEGER = "应为整数"
UNDERSCORE = "数字中不能有下划线「_」"
TOO_SMALL = "不能小于 {limit}"
TOO_LARGE = "不能大于 {limit}"
BOOLEAN = "应为「是」或「否」"
CHOICE = "不是可选值，可选：{allowed}"
UNKNOWN_REFERENCE = "找不到「{key}」"
UNKNOWN_ENTERPRISE = "登记簿中没有统一社会信用代码为 {key} 的企业"
DUPLICATE = "与第 {other} 行重复"
FUTURE_DATE = "不能晚于今天"
RD_STAFF = "研发人员数不能多于从业人数"
REMOVED_BEFORE = "出库日期不能早于入库日期"
CERTIFICATE_NUMBER = "证书编号应为 GR（或 GF）+ 4 位年份 + 2 位地区码 + 6 位序号，如 GR202350001234"

UNKNOWN_HEADER = "未知的列"
MISSING_HEADER = "缺少列「{header}」"
DUPLICATE_HEADER = "列重复"
NO_HEADER = "第 {column} 列有数据但没有表头"
EMPTY_FILE = "文件是空的：第一行应为表头"
UNREADABLE = "无法读取文件：不是有效的 {kind} 文件（{detail}）"
FILE_TOO_LARGE = "文件过大（{size} MB），最大 {limit} MB；请分成几个文件导入"
ZIP_TOO_LARGE = (
    "Excel 文件解压后有 {size} MB，超过上限 {limit} MB，没有读取；"
    "请删去名单以外的工作表和内容，或另存为 CSV 再导入"
)
ZIP_RATIO = (
    "Excel 文件的组成部分「{part}」压缩比异常（{ratio} 倍，上限 {limit} 倍），"
    "可能是恶意构造的文件，没有读取"
)
ZIP_SIZE_MISMATCH = (
    "Excel 文件的组成部分「{part}」实际大小超过其声明的大小，文件已损坏或被篡改，没有读取"
)
FORMULA_WITHOUT_VALUE = "公式没有计算结果，请在 Excel 中打开并保存后再导入"
HEADER_BELOW_TITLE = "表头应在第 1 行：第 {row} 行才是表头（{above}像是标题），请删去上面的行"
HEADER_ON_OTHER_SHEET = (
    "第一个工作表「{first}」没有名单的表头；工作表「{sheet}」的第 {row} 行是表头，"
    "请把名单放在第一个工作表"
)
ENCODING = "无法识别 CSV 文件的编码：应为 UTF-8（可带 BOM）或 GB18030"
IMPORT_WORKER_LOST = (
    "导入中断：处理此文件的后台进程已停止（可能被终止或内存不足），没有保存任何数据；"
    "可在导入任务列表中选中此任务，用「重新导入」再试"
)
MORE_ERRORS = "……另有 {count} 处错误未列出"
REFUSED = "文件未导入，共 {count} 处错误，没有保存任何数据："
NEW_WORDS = "新词条 {header}：{words}"
