"""The sample community every domain's sample data lives in.

Modelled on the community in DOMAIN.md: about ten compounds in five grids.
Everything personal is obviously fictitious: names are drawn from a short list
of surnames and given names, ID numbers use the fictitious area code 990000
(no real region has it) with a valid check digit, and phone numbers lie in the
199-0000 block, which this project treats as a demonstration range.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from data_layer.validation import id_check_char

GRIDS = ("第一网格", "第二网格", "第三网格", "第四网格", "第五网格")
COMPOUNDS = {
    "第一网格": ("锦绣花园", "春晖小区"),
    "第二网格": ("和平里", "幸福苑"),
    "第三网格": ("东风新村", "阳光家园"),
    "第四网格": ("滨河小区", "翠竹园"),
    "第五网格": ("光明村一组", "光明村二组"),
}
CENTER = (30.5830, 114.2950)
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN_NAMES = ("示例", "测试", "演示", "样本", "虚拟", "模拟")


@dataclass
class Community:
    """The random source and the dates every domain's sample generator shares."""

    rng: random.Random
    today: date
    days: int

    def person_name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES) + str(self.rng.randint(1, 99))

    def id_number(self) -> str:
        """A fictitious 18-digit ID number (area 990000) with a valid check character."""
        born = date(1950, 1, 1).toordinal() + self.rng.randrange(365 * 55)
        first = f"990000{date.fromordinal(born):%Y%m%d}{self.rng.randrange(1000):03d}"
        return first + id_check_char(first)

    def phone(self) -> str:
        return f"1990000{self.rng.randrange(10000):04d}"

    def grid(self) -> str:
        return self.rng.choice(GRIDS)

    def address(self, grid: str) -> str:
        compound = self.rng.choice(COMPOUNDS[grid])
        return f"{compound}{self.rng.randint(1, 30)}栋{self.rng.randint(1, 6)}单元{self.rng.randint(101, 1804)}"
